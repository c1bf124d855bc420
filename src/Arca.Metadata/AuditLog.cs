using System.Globalization;
using System.Text.Json;

namespace Arca.Metadata;

/// <summary>The hash-chained audit log: every write appends a row whose hash covers the previous row's hash.</summary>
public sealed class AuditLog(MetadataDatabase db)
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    internal static string ComputeHash(long seq, string at, string actor, string action, string subject,
        string? before, string? after, string reason, string prev) =>
        WriteContext.Sha256Hex(string.Join('\u001f', seq.ToString(CultureInfo.InvariantCulture), at, actor, action, subject,
            before ?? "", after ?? "", reason, prev));

    public IReadOnlyList<AuditRecord> Read(long after, int limit)
    {
        var list = new List<AuditRecord>();
        foreach (var row in Rows(after, limit))
        {
            list.Add(row.Record);
        }
        return list;
    }

    /// <summary>Recomputes the chain; returns the first broken sequence number, or null when intact.</summary>
    public (long Checked, long? BrokenAt) Verify()
    {
        var prev = GenesisHash;
        long count = 0, after = 0;
        while (true)
        {
            var any = false;
            foreach (var (rec, beforeText, afterText) in Rows(after, 1000))
            {
                any = true;
                var expected = ComputeHash(rec.Seq, Timestamps.Format(rec.At), rec.Actor, rec.Action, rec.Subject,
                    beforeText, afterText, rec.Reason, prev);
                if (rec.PrevHash != prev || rec.Hash != expected || rec.Seq != count + 1)
                {
                    return (count, rec.Seq);
                }
                prev = rec.Hash;
                after = rec.Seq;
                count++;
            }
            if (!any)
            {
                return (count, null);
            }
        }
    }

    private List<(AuditRecord Record, string? Before, string? After)> Rows(long after, int limit)
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, at, actor, action, subject, before, after, reason, prev_hash, hash FROM audit " +
            "WHERE seq > $after ORDER BY seq LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<(AuditRecord, string?, string?)>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var before = r.IsDBNull(5) ? null : r.GetString(5);
            var afterText = r.IsDBNull(6) ? null : r.GetString(6);
            list.Add((new AuditRecord
            {
                Seq = r.GetInt64(0),
                At = Timestamps.Parse(r.GetString(1)),
                Actor = r.GetString(2),
                Action = r.GetString(3),
                Subject = r.GetString(4),
                Before = Parse(before),
                After = Parse(afterText),
                Reason = r.GetString(7),
                PrevHash = r.GetString(8),
                Hash = r.GetString(9),
            }, before, afterText));
        }
        return list;
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
