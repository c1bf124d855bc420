using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>
/// Movable pointers to versions. A move is one transaction on <c>aliases</c> plus its history, audit and event rows,
/// guarded by an optimistic revision. Resolves are served from memory: every write goes through this process, so the
/// cache is invalidated after each commit (a generation counter keeps a slow reader from re-inserting a stale row).
/// </summary>
public sealed class AliasStore(MetadataDatabase db, ModelStore models)
{
    /// <summary>Pass as the expected revision to require only that the alias exists (<c>If-Match: *</c>).</summary>
    public const long AnyRevision = -1;

    private readonly ConcurrentDictionary<string, AliasTarget> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();
    private long _generation;

    private const string TargetColumns =
        "m.name, a.alias, v.version_no, v.artifact_digest, a.revision, a.updated_by, a.updated_at";

    public StoreResult<AliasTarget> Resolve(string model, string alias)
    {
        var key = model + "\0" + alias;
        if (_cache.TryGetValue(key, out var hit))
        {
            return hit;
        }
        var generation = Volatile.Read(ref _generation);
        using var c = db.OpenRead();
        if (models.FindId(c, model) is null)
        {
            return StoreResult<AliasTarget>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
        }
        var target = Get(c, model, alias);
        if (target is null)
        {
            return StoreResult<AliasTarget>.Fail(StoreError.AliasNotFound, $"{model} has no alias '{alias}'");
        }
        lock (_cacheLock)
        {
            if (generation == _generation)
            {
                _cache[key] = target;
            }
        }
        return target;
    }

    public IReadOnlyList<AliasTarget> List(string model)
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {TargetColumns} FROM aliases a JOIN models m ON m.id = a.model_id " +
            "JOIN versions v ON v.id = a.version_id WHERE m.name = $name ORDER BY a.alias";
        cmd.Parameters.AddWithValue("$name", model);
        var list = new List<AliasTarget>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(Read(r));
        }
        return list;
    }

    /// <summary>Points the alias at a version (promotion and rollback alike).</summary>
    /// <param name="expectedRevision">null: unconditional; <see cref="AnyRevision"/>: must exist; else must equal.</param>
    public Task<StoreResult<AliasTarget>> MoveAsync(string actor, string model, string alias, long version, string reason,
        long? expectedRevision)
    {
        if (!Names.IsValidAlias(alias))
        {
            return Task.FromResult(StoreResult<AliasTarget>.Fail(StoreError.InvalidName,
                $"'{alias}' is not a valid alias name: [a-z0-9][a-z0-9._-]{{0,127}}"));
        }
        return db.WriteAsync(actor, ctx =>
        {
            if (models.FindId(ctx.Connection, model) is not { } modelId)
            {
                return StoreResult<AliasTarget>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
            }
            long versionId;
            using (var find = ctx.Command("SELECT id FROM versions WHERE model_id = $m AND version_no = $n"))
            {
                find.Parameters.AddWithValue("$m", modelId);
                find.Parameters.AddWithValue("$n", version);
                if (find.ExecuteScalar() is not long id)
                {
                    return StoreResult<AliasTarget>.Fail(StoreError.VersionNotFound, $"{model} has no version {version}");
                }
                versionId = id;
            }
            var current = Get(ctx.Connection, model, alias);
            if (CheckRevision(current, expectedRevision, model, alias) is { } mismatch)
            {
                return mismatch;
            }
            if (current is not null && current.Version == version)
            {
                return current;
            }
            var revision = NextRevision(ctx, modelId, alias);
            using (var upsert = ctx.Command(
                "INSERT INTO aliases(model_id, alias, version_id, revision, updated_by, updated_at) VALUES($m, $a, $v, $rev, $by, $now) " +
                "ON CONFLICT(model_id, alias) DO UPDATE SET version_id = $v, revision = $rev, updated_by = $by, updated_at = $now"))
            {
                upsert.Parameters.AddWithValue("$m", modelId);
                upsert.Parameters.AddWithValue("$a", alias);
                upsert.Parameters.AddWithValue("$v", versionId);
                upsert.Parameters.AddWithValue("$rev", revision);
                upsert.Parameters.AddWithValue("$by", ctx.Actor);
                upsert.Parameters.AddWithValue("$now", ctx.NowText);
                upsert.ExecuteNonQuery();
            }
            var move = new AliasMove
            {
                Model = model,
                Alias = alias,
                FromVersion = current?.Version,
                ToVersion = version,
                Revision = revision,
                Actor = ctx.Actor,
                Reason = reason,
                At = ctx.Now,
            };
            Record(ctx, modelId, move, current);
            return Get(ctx.Connection, model, alias)!;
        });
    }

    public Task<StoreResult<AliasMove>> DeleteAsync(string actor, string model, string alias, string reason, long? expectedRevision) =>
        db.WriteAsync(actor, ctx =>
        {
            if (models.FindId(ctx.Connection, model) is not { } modelId)
            {
                return StoreResult<AliasMove>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
            }
            var current = Get(ctx.Connection, model, alias);
            if (current is null)
            {
                return StoreResult<AliasMove>.Fail(StoreError.AliasNotFound, $"{model} has no alias '{alias}'");
            }
            if (CheckRevision(current, expectedRevision, model, alias) is { } mismatch)
            {
                return StoreResult<AliasMove>.Fail(mismatch.Error, mismatch.Detail!);
            }
            var revision = NextRevision(ctx, modelId, alias);
            using (var del = ctx.Command("DELETE FROM aliases WHERE model_id = $m AND alias = $a"))
            {
                del.Parameters.AddWithValue("$m", modelId);
                del.Parameters.AddWithValue("$a", alias);
                del.ExecuteNonQuery();
            }
            var move = new AliasMove
            {
                Model = model,
                Alias = alias,
                FromVersion = current.Version,
                ToVersion = null,
                Revision = revision,
                Actor = ctx.Actor,
                Reason = reason,
                At = ctx.Now,
            };
            Record(ctx, modelId, move, current);
            return move;
        });

    public StoreResult<Page<AliasMove>> History(string model, string alias, int limit, string? cursor)
    {
        if (!Cursor.TryDecode(cursor, out var raw) || (raw.Length > 0 && !long.TryParse(raw, out _)))
        {
            return StoreResult<Page<AliasMove>>.Fail(StoreError.InvalidCursor, "cursor is not one this server issued");
        }
        using var c = db.OpenRead();
        if (models.FindId(c, model) is not { } modelId)
        {
            return StoreResult<Page<AliasMove>>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
        }
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, from_version, to_version, revision, actor, reason, at FROM alias_history " +
            "WHERE model_id = $m AND alias = $a AND ($before = 0 OR id < $before) ORDER BY id DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$m", modelId);
        cmd.Parameters.AddWithValue("$a", alias);
        cmd.Parameters.AddWithValue("$before", raw.Length > 0 ? long.Parse(raw) : 0L);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        var items = new List<AliasMove>();
        long lastId = 0;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (items.Count == limit)
            {
                return new Page<AliasMove>(items, Cursor.Encode(lastId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            lastId = r.GetInt64(0);
            items.Add(new AliasMove
            {
                Model = model,
                Alias = alias,
                FromVersion = r.IsDBNull(1) ? null : r.GetInt64(1),
                ToVersion = r.IsDBNull(2) ? null : r.GetInt64(2),
                Revision = r.GetInt64(3),
                Actor = r.GetString(4),
                Reason = r.GetString(5),
                At = Timestamps.Parse(r.GetString(6)),
            });
        }
        if (items.Count == 0 && raw.Length == 0 && Get(c, model, alias) is null)
        {
            return StoreResult<Page<AliasMove>>.Fail(StoreError.AliasNotFound, $"{model} has no alias '{alias}'");
        }
        return new Page<AliasMove>(items, null);
    }

    private static StoreResult<AliasTarget>? CheckRevision(AliasTarget? current, long? expected, string model, string alias)
    {
        if (expected is not { } want)
        {
            return null;
        }
        if (current is null)
        {
            return StoreResult<AliasTarget>.Fail(StoreError.RevisionMismatch,
                $"{model}@{alias} does not exist, but If-Match expected revision {(want == AnyRevision ? "*" : want)}");
        }
        if (want != AnyRevision && current.Revision != want)
        {
            return StoreResult<AliasTarget>.Fail(StoreError.RevisionMismatch,
                $"{model}@{alias} is at revision {current.Revision}, not {want}; re-read it and retry");
        }
        return null;
    }

    private static long NextRevision(WriteContext ctx, long modelId, string alias)
    {
        using var cmd = ctx.Command("SELECT COALESCE(MAX(revision), 0) + 1 FROM alias_history WHERE model_id = $m AND alias = $a");
        cmd.Parameters.AddWithValue("$m", modelId);
        cmd.Parameters.AddWithValue("$a", alias);
        return (long)cmd.ExecuteScalar()!;
    }

    private void Record(WriteContext ctx, long modelId, AliasMove move, AliasTarget? before)
    {
        using (var hist = ctx.Command(
            "INSERT INTO alias_history(model_id, alias, from_version, to_version, revision, actor, reason, at) " +
            "VALUES($m, $a, $from, $to, $rev, $by, $reason, $now)"))
        {
            hist.Parameters.AddWithValue("$m", modelId);
            hist.Parameters.AddWithValue("$a", move.Alias);
            hist.Parameters.AddWithValue("$from", move.FromVersion is { } f ? f : DBNull.Value);
            hist.Parameters.AddWithValue("$to", move.ToVersion is { } t ? t : DBNull.Value);
            hist.Parameters.AddWithValue("$rev", move.Revision);
            hist.Parameters.AddWithValue("$by", ctx.Actor);
            hist.Parameters.AddWithValue("$reason", move.Reason);
            hist.Parameters.AddWithValue("$now", ctx.NowText);
            hist.ExecuteNonQuery();
        }
        var after = move.ToVersion is null ? null : Get(ctx.Connection, move.Model, move.Alias);
        ctx.AppendAudit(after is null ? "alias.delete" : "alias.move", $"{move.Model}@{move.Alias}",
            before is null ? null : JsonSerializer.Serialize(before, MetadataJson.Default.AliasTarget),
            after is null ? null : JsonSerializer.Serialize(after, MetadataJson.Default.AliasTarget),
            move.Reason);
        var payload = JsonSerializer.Serialize(move, MetadataJson.Default.AliasMove);
        ctx.AppendEvent(after is null ? "alias.deleted" : "alias.moved", move.Model, payload);
        var key = move.Model + "\0" + move.Alias;
        ctx.AfterCommit(() =>
        {
            lock (_cacheLock)
            {
                _generation++;
                _cache.TryRemove(key, out _);
            }
        });
    }

    internal static AliasTarget? Get(SqliteConnection c, string model, string alias)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {TargetColumns} FROM aliases a JOIN models m ON m.id = a.model_id " +
            "JOIN versions v ON v.id = a.version_id WHERE m.name = $name AND a.alias = $alias";
        cmd.Parameters.AddWithValue("$name", model);
        cmd.Parameters.AddWithValue("$alias", alias);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static AliasTarget Read(SqliteDataReader r) => new()
    {
        Model = r.GetString(0),
        Alias = r.GetString(1),
        Version = r.GetInt64(2),
        ArtifactDigest = r.GetString(3),
        Revision = r.GetInt64(4),
        UpdatedBy = r.GetString(5),
        UpdatedAt = Timestamps.Parse(r.GetString(6)),
    };
}
