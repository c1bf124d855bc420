using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>Models: explicit or implicit creation, lookup, listing by prefix, descriptive updates.</summary>
public sealed class ModelStore(MetadataDatabase db)
{
    // Models are never deleted and never renamed, so name → id can be cached forever.
    private readonly ConcurrentDictionary<string, long> _ids = new(StringComparer.Ordinal);

    private const string Columns = "m.name, m.owner, m.task_type, m.description, m.created_by, m.created_at, m.updated_at, " +
        "(SELECT COALESCE(MAX(version_no), 0) FROM versions WHERE model_id = m.id)";

    public Task<StoreResult<Model>> CreateAsync(string actor, string name, ModelSpec spec)
    {
        if (!Names.IsValidModelName(name))
        {
            return Task.FromResult(StoreResult<Model>.Fail(StoreError.InvalidName, InvalidNameDetail(name)));
        }
        return db.WriteAsync(actor, ctx =>
        {
            if (FindId(ctx.Connection, name) is not null)
            {
                return StoreResult<Model>.Fail(StoreError.ModelExists, $"model '{name}' already exists");
            }
            Insert(ctx, name, spec);
            return Get(ctx.Connection, name)!;
        });
    }

    public Task<StoreResult<Model>> UpdateAsync(string actor, string name, ModelSpec spec) =>
        db.WriteAsync(actor, ctx =>
        {
            var before = Get(ctx.Connection, name);
            if (before is null)
            {
                return StoreResult<Model>.Fail(StoreError.ModelNotFound, $"model '{name}' does not exist");
            }
            using (var cmd = ctx.Command(
                "UPDATE models SET owner = COALESCE($owner, owner), task_type = COALESCE($task, task_type), " +
                "description = COALESCE($desc, description), updated_at = $now WHERE name = $name"))
            {
                cmd.Parameters.AddWithValue("$owner", (object?)spec.Owner ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$task", (object?)spec.TaskType ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$desc", (object?)spec.Description ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                cmd.Parameters.AddWithValue("$name", name);
                cmd.ExecuteNonQuery();
            }
            var after = Get(ctx.Connection, name)!;
            var afterJson = JsonSerializer.Serialize(after, MetadataJson.Default.Model);
            ctx.AppendAudit("model.update", name, JsonSerializer.Serialize(before, MetadataJson.Default.Model), afterJson, "");
            ctx.AppendEvent("model.updated", name, afterJson);
            return after;
        });

    public StoreResult<Model> Get(string name)
    {
        using var c = db.OpenRead();
        return Get(c, name) is { } m ? m : StoreResult<Model>.Fail(StoreError.ModelNotFound, $"model '{name}' does not exist");
    }

    public StoreResult<Page<Model>> List(string? prefix, int limit, string? cursor)
    {
        if (!Cursor.TryDecode(cursor, out var after))
        {
            return StoreResult<Page<Model>>.Fail(StoreError.InvalidCursor, "cursor is not one this server issued");
        }
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM models m WHERE m.name > $after " +
            "AND ($prefix = '' OR substr(m.name, 1, length($prefix)) = $prefix) ORDER BY m.name LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$prefix", prefix ?? "");
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        var items = new List<Model>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            items.Add(Read(r));
        }
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = Cursor.Encode(items[^1].Name);
        }
        return new Page<Model>(items, next);
    }

    /// <summary>The id of a model, or null; cached after the first hit.</summary>
    public long? FindId(SqliteConnection c, string name)
    {
        if (_ids.TryGetValue(name, out var id))
        {
            return id;
        }
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM models WHERE name = $name";
        cmd.Parameters.AddWithValue("$name", name);
        if (cmd.ExecuteScalar() is long found)
        {
            _ids.TryAdd(name, found);
            return found;
        }
        return null;
    }

    /// <summary>Finds or (inside a write) implicitly creates a model.</summary>
    internal long Ensure(WriteContext ctx, string name) => FindId(ctx.Connection, name) ?? Insert(ctx, name, new ModelSpec());

    private long Insert(WriteContext ctx, string name, ModelSpec spec)
    {
        long id;
        using (var cmd = ctx.Command(
            "INSERT INTO models(name, owner, task_type, description, created_by, created_at, updated_at) " +
            "VALUES($name, $owner, $task, $desc, $by, $now, $now) RETURNING id"))
        {
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$owner", spec.Owner ?? "");
            cmd.Parameters.AddWithValue("$task", spec.TaskType ?? "");
            cmd.Parameters.AddWithValue("$desc", spec.Description ?? "");
            cmd.Parameters.AddWithValue("$by", ctx.Actor);
            cmd.Parameters.AddWithValue("$now", ctx.NowText);
            id = (long)cmd.ExecuteScalar()!;
        }
        var json = JsonSerializer.Serialize(Get(ctx.Connection, name)!, MetadataJson.Default.Model);
        ctx.AppendAudit("model.create", name, null, json, "");
        ctx.AppendEvent("model.created", name, json);
        return id;
    }

    internal Model? Get(SqliteConnection c, string name)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM models m WHERE m.name = $name";
        cmd.Parameters.AddWithValue("$name", name);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static Model Read(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Owner = r.GetString(1),
        TaskType = r.GetString(2),
        Description = r.GetString(3),
        CreatedBy = r.GetString(4),
        CreatedAt = Timestamps.Parse(r.GetString(5)),
        UpdatedAt = Timestamps.Parse(r.GetString(6)),
        LatestVersion = r.GetInt64(7),
    };

    internal static string InvalidNameDetail(string name) =>
        $"'{name}' is not a valid model name: [a-z0-9][a-z0-9._-]{{0,127}}, optionally prefixed by one 'namespace/'";
}
