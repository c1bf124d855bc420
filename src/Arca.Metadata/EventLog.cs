using System.Text.Json;

namespace Arca.Metadata;

/// <summary>Reads the durable event log and waits for new entries (long-poll and server-sent events).</summary>
public sealed class EventLog(MetadataDatabase db)
{
    public IReadOnlyList<EventRecord> Read(long after, int limit)
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, at, type, model, payload FROM events WHERE seq > $after ORDER BY seq LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<EventRecord>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            using var doc = JsonDocument.Parse(r.GetString(4));
            list.Add(new EventRecord
            {
                Seq = r.GetInt64(0),
                At = Timestamps.Parse(r.GetString(1)),
                Type = r.GetString(2),
                Model = r.IsDBNull(3) ? null : r.GetString(3),
                Payload = doc.RootElement.Clone(),
            });
        }
        return list;
    }

    public long LastSeq()
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM events";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Reads events after <paramref name="after"/>, waiting up to <paramref name="wait"/> for the first one.</summary>
    public async Task<IReadOnlyList<EventRecord>> ReadOrWaitAsync(long after, int limit, TimeSpan wait, CancellationToken ct)
    {
        var deadline = db.Time.GetUtcNow() + wait;
        while (true)
        {
            var signal = db.EventAppended; // taken before the read, so a commit in between is not missed
            var events = Read(after, limit);
            var left = deadline - db.Time.GetUtcNow();
            if (events.Count > 0 || left <= TimeSpan.Zero)
            {
                return events;
            }
            try
            {
                await signal.WaitAsync(left, db.Time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return [];
            }
        }
    }
}
