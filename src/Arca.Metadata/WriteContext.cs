using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>
/// What one write operation sees inside the group-commit transaction: the connection, the caller, one timestamp,
/// and the audit and event rows it must append. Actions registered with <see cref="AfterCommit"/> run only once
/// the transaction is durable.
/// </summary>
public sealed class WriteContext
{
    private readonly List<Action> _afterCommit = [];

    internal WriteContext(SqliteConnection connection, string actor, DateTimeOffset now)
    {
        Connection = connection;
        Actor = actor;
        Now = now;
        NowText = Timestamps.Format(now);
    }

    public SqliteConnection Connection { get; }

    public string Actor { get; }

    public DateTimeOffset Now { get; }

    public string NowText { get; }

    internal IReadOnlyList<Action> AfterCommitActions => _afterCommit;

    internal bool AppendedEvent { get; private set; }

    public void AfterCommit(Action action) => _afterCommit.Add(action);

    public SqliteCommand Command(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    /// <summary>Appends to the durable event log; <c>seq</c> is gap-free because writes are serialised.</summary>
    public long AppendEvent(string type, string? model, string payloadJson)
    {
        using var cmd = Command(
            "INSERT INTO events(seq, at, type, model, payload) " +
            "VALUES((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), $at, $type, $model, $payload) RETURNING seq");
        cmd.Parameters.AddWithValue("$at", NowText);
        cmd.Parameters.AddWithValue("$type", type);
        cmd.Parameters.AddWithValue("$model", (object?)model ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$payload", payloadJson);
        AppendedEvent = true;
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Appends an audit row whose hash chains to the previous row's.</summary>
    public void AppendAudit(string action, string subject, string? beforeJson, string? afterJson, string reason)
    {
        string prev;
        long seq;
        using (var last = Command("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"))
        using (var r = last.ExecuteReader())
        {
            (seq, prev) = r.Read() ? (r.GetInt64(0) + 1, r.GetString(1)) : (1L, AuditLog.GenesisHash);
        }
        var hash = AuditLog.ComputeHash(seq, NowText, Actor, action, subject, beforeJson, afterJson, reason, prev);
        using var cmd = Command(
            "INSERT INTO audit(seq, at, actor, action, subject, before, after, reason, prev_hash, hash) " +
            "VALUES($seq, $at, $actor, $action, $subject, $before, $after, $reason, $prev, $hash)");
        cmd.Parameters.AddWithValue("$seq", seq);
        cmd.Parameters.AddWithValue("$at", NowText);
        cmd.Parameters.AddWithValue("$actor", Actor);
        cmd.Parameters.AddWithValue("$action", action);
        cmd.Parameters.AddWithValue("$subject", subject);
        cmd.Parameters.AddWithValue("$before", (object?)beforeJson ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", (object?)afterJson ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$reason", reason);
        cmd.Parameters.AddWithValue("$prev", prev);
        cmd.Parameters.AddWithValue("$hash", hash);
        cmd.ExecuteNonQuery();
    }

    internal static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
