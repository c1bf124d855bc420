using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>Immutable versions: registration with gap-free numbers, lookup, filtered listing, lineage queries.</summary>
public sealed class VersionStore(MetadataDatabase db, ModelStore models)
{
    internal const string Columns = "m.name, v.version_no, v.artifact_digest, v.run_id, v.framework, v.metrics, v.params, " +
        "v.tags, v.status, v.created_by, v.created_at";

    /// <summary>When set (by the blob store), registration requires the artifact manifest to be stored.</summary>
    public Func<string, bool>? ArtifactExists { get; set; }

    public Task<StoreResult<ModelVersion>> RegisterAsync(string actor, string model, VersionSpec spec)
    {
        if (Validate(model, spec) is { } problem)
        {
            return Task.FromResult(problem);
        }
        return db.WriteAsync(actor, ctx =>
        {
            var modelId = models.Ensure(ctx, model);
            if (FindByDigest(ctx.Connection, modelId, spec.ArtifactDigest) is { } existing)
            {
                return StoreResult<ModelVersion>.Fail(StoreError.VersionExists,
                    $"{model} already has version {existing.Version} with artifact {spec.ArtifactDigest}", existing);
            }
            if (spec.RunId is { } runId && RunStore.Get(ctx.Connection, runId) is null)
            {
                return StoreResult<ModelVersion>.Fail(StoreError.UnknownRun, $"run '{runId}' does not exist; create it with POST /v1/runs first");
            }
            if (ArtifactExists is { } exists && !exists(spec.ArtifactDigest))
            {
                return StoreResult<ModelVersion>.Fail(StoreError.ArtifactNotStored, $"artifact {spec.ArtifactDigest} is not stored; push it first");
            }
            long id, number;
            using (var cmd = ctx.Command(
                "INSERT INTO versions(model_id, version_no, artifact_digest, run_id, framework, metrics, params, tags, created_by, created_at) " +
                "VALUES($m, (SELECT COALESCE(MAX(version_no), 0) + 1 FROM versions WHERE model_id = $m), $digest, $run, $fw, $metrics, $params, $tags, $by, $now) " +
                "RETURNING id, version_no"))
            {
                cmd.Parameters.AddWithValue("$m", modelId);
                cmd.Parameters.AddWithValue("$digest", spec.ArtifactDigest);
                cmd.Parameters.AddWithValue("$run", (object?)spec.RunId ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$fw", spec.Framework);
                cmd.Parameters.AddWithValue("$metrics", JsonSerializer.Serialize(spec.Metrics, MetadataJson.Default.DictionaryStringDouble));
                cmd.Parameters.AddWithValue("$params", JsonSerializer.Serialize(spec.Params, MetadataJson.Default.DictionaryStringJsonElement));
                cmd.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(spec.Tags, MetadataJson.Default.DictionaryStringString));
                cmd.Parameters.AddWithValue("$by", ctx.Actor);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                using var r = cmd.ExecuteReader();
                r.Read();
                id = r.GetInt64(0);
                number = r.GetInt64(1);
            }
            InsertSideRows(ctx, id, modelId, number, spec);
            var version = Get(ctx.Connection, model, number)!;
            var json = JsonSerializer.Serialize(version, MetadataJson.Default.ModelVersion);
            ctx.AppendAudit("version.register", $"{model}:{number}", null, json, "");
            ctx.AppendEvent("version.registered", model, json);
            return version;
        });
    }

    private static StoreResult<ModelVersion>? Validate(string model, VersionSpec spec)
    {
        if (!Names.IsValidModelName(model))
        {
            return StoreResult<ModelVersion>.Fail(StoreError.InvalidName, ModelStore.InvalidNameDetail(model));
        }
        if (!Names.IsValidDigest(spec.ArtifactDigest))
        {
            return StoreResult<ModelVersion>.Fail(StoreError.InvalidDigest,
                $"artifact_digest '{spec.ArtifactDigest}' is not sha256: followed by 64 lowercase hex digits");
        }
        if (spec.Framework.Length > 128)
        {
            return StoreResult<ModelVersion>.Fail(StoreError.InvalidArgument, "framework is longer than 128 characters");
        }
        foreach (var (key, value) in spec.Metrics)
        {
            if (!Names.IsValidKey(key) || !double.IsFinite(value))
            {
                return StoreResult<ModelVersion>.Fail(StoreError.InvalidArgument,
                    $"metric '{key}': keys are 1..128 of [A-Za-z0-9_./-] and values finite numbers");
            }
        }
        foreach (var (key, value) in spec.Params)
        {
            if (!Names.IsValidKey(key) || value.ValueKind is JsonValueKind.Undefined)
            {
                return StoreResult<ModelVersion>.Fail(StoreError.InvalidArgument, $"param '{key}': keys are 1..128 of [A-Za-z0-9_./-]");
            }
        }
        foreach (var (key, value) in spec.Tags)
        {
            if (!Names.IsValidKey(key) || value.Length > 256)
            {
                return StoreResult<ModelVersion>.Fail(StoreError.InvalidArgument,
                    $"tag '{key}': keys are 1..128 of [A-Za-z0-9_./-], values at most 256 characters");
            }
        }
        return null;
    }

    private static void InsertSideRows(WriteContext ctx, long id, long modelId, long number, VersionSpec spec)
    {
        foreach (var (key, value) in spec.Metrics)
        {
            using var cmd = ctx.Command("INSERT INTO version_metrics VALUES($id, $m, $n, $k, $v)");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$m", modelId);
            cmd.Parameters.AddWithValue("$n", number);
            cmd.Parameters.AddWithValue("$k", key);
            cmd.Parameters.AddWithValue("$v", value);
            cmd.ExecuteNonQuery();
        }
        foreach (var (key, value) in spec.Params)
        {
            var (num, text) = ParamValue(value);
            using var cmd = ctx.Command("INSERT INTO version_params VALUES($id, $m, $k, $num, $text)");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$m", modelId);
            cmd.Parameters.AddWithValue("$k", key);
            cmd.Parameters.AddWithValue("$num", num is { } d ? d : DBNull.Value);
            cmd.Parameters.AddWithValue("$text", text);
            cmd.ExecuteNonQuery();
        }
        foreach (var (key, value) in spec.Tags)
        {
            using var cmd = ctx.Command("INSERT INTO version_tags VALUES($id, $m, $k, $v)");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$m", modelId);
            cmd.Parameters.AddWithValue("$k", key);
            cmd.Parameters.AddWithValue("$v", value);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Params are compared as numbers when they are numbers or numeric strings, else as text.</summary>
    private static (double? Num, string Text) ParamValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => (value.GetDouble(), value.GetRawText()),
        JsonValueKind.String => (VersionFilter.IsNumber(value.GetString()!) ? VersionFilter.Number(value.GetString()!) : null,
            value.GetString()!),
        JsonValueKind.True => (null, "true"),
        JsonValueKind.False => (null, "false"),
        _ => (null, value.GetRawText()),
    };

    public StoreResult<ModelVersion> Get(string model, long number)
    {
        using var c = db.OpenRead();
        if (models.FindId(c, model) is null)
        {
            return StoreResult<ModelVersion>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
        }
        return Get(c, model, number) is { } v
            ? v
            : StoreResult<ModelVersion>.Fail(StoreError.VersionNotFound, $"{model} has no version {number}");
    }

    internal static ModelVersion? Get(SqliteConnection c, string model, long number)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = $name AND v.version_no = $n";
        cmd.Parameters.AddWithValue("$name", model);
        cmd.Parameters.AddWithValue("$n", number);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static ModelVersion? FindByDigest(SqliteConnection c, long modelId, string digest)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = $m AND v.artifact_digest = $d";
        cmd.Parameters.AddWithValue("$m", modelId);
        cmd.Parameters.AddWithValue("$d", digest);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    public StoreResult<Page<ModelVersion>> List(string model, VersionQuery query)
    {
        if (!VersionFilter.TryParse(query.Filter, out var terms, out var error))
        {
            return StoreResult<Page<ModelVersion>>.Fail(StoreError.InvalidFilter, error);
        }
        if (!VersionFilter.TryParseSort(query.Sort, out var sort, out error))
        {
            return StoreResult<Page<ModelVersion>>.Fail(StoreError.InvalidFilter, error);
        }
        if (!Cursor.TryDecode(query.Cursor, out var cursor))
        {
            return StoreResult<Page<ModelVersion>>.Fail(StoreError.InvalidCursor, "cursor is not one this server issued");
        }
        using var c = db.OpenRead();
        if (models.FindId(c, model) is not { } modelId)
        {
            return StoreResult<Page<ModelVersion>>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
        }

        using var cmd = c.CreateCommand();
        var sql = new StringBuilder();
        var where = new List<string>();
        string sortExpr;
        if (sort.Field == "metrics")
        {
            sql.Append($"SELECT {Columns}, s.value FROM version_metrics s JOIN versions v ON v.id = s.version_id JOIN models m ON m.id = v.model_id ");
            where.Add("s.model_id = $m AND s.key = $sortkey");
            cmd.Parameters.AddWithValue("$sortkey", sort.Key);
            sortExpr = "s.value";
        }
        else
        {
            sql.Append($"SELECT {Columns}, {(sort.Field == "created_at" ? "v.created_at" : "v.version_no")} FROM versions v JOIN models m ON m.id = v.model_id ");
            where.Add("v.model_id = $m");
            sortExpr = sort.Field == "created_at" ? "v.created_at" : "v.version_no";
        }
        cmd.Parameters.AddWithValue("$m", modelId);
        // For a metric sort the tie-breaker comes from the same index entry (s.version_no), so SQLite walks the
        // index in order and needs no sort step.
        var tieExpr = sort.Field == "metrics" ? "s.version_no" : "v.version_no";

        if (query.Alias is { } alias)
        {
            where.Add("v.id = (SELECT version_id FROM aliases WHERE model_id = $m AND alias = $alias)");
            cmd.Parameters.AddWithValue("$alias", alias);
        }
        for (var i = 0; i < query.Tags.Count; i++)
        {
            var tag = query.Tags[i];
            var colon = tag.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return StoreResult<Page<ModelVersion>>.Fail(StoreError.InvalidFilter, $"tag '{tag}': expected key:value");
            }
            where.Add($"EXISTS(SELECT 1 FROM version_tags t WHERE t.version_id = v.id AND t.key = $tk{i} AND t.value = $tv{i})");
            cmd.Parameters.AddWithValue($"$tk{i}", tag[..colon]);
            cmd.Parameters.AddWithValue($"$tv{i}", tag[(colon + 1)..]);
        }
        for (var i = 0; i < terms.Count; i++)
        {
            where.Add(TermSql(terms[i], i, sort, cmd));
        }

        if (cursor.Length > 0)
        {
            var parts = cursor.Split('\n');
            double lastMetric = 0;
            if (parts.Length != 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var lastNo)
                || (sort.Field == "metrics" && !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out lastMetric)))
            {
                return StoreResult<Page<ModelVersion>>.Fail(StoreError.InvalidCursor, "cursor is not one this server issued");
            }
            var cmp = sort.Descending ? "<" : ">";
            if (sort.Field == "version")
            {
                where.Add($"v.version_no {cmp} $cn");
            }
            else
            {
                where.Add($"({sortExpr} {cmp} $cv OR ({sortExpr} = $cv AND {tieExpr} {cmp} $cn))");
                cmd.Parameters.AddWithValue("$cv", sort.Field == "metrics" ? lastMetric : parts[0]);
            }
            cmd.Parameters.AddWithValue("$cn", lastNo);
        }

        var dir = sort.Descending ? "DESC" : "ASC";
        sql.Append("WHERE ").AppendJoin(" AND ", where);
        sql.Append(sort.Field == "version"
            ? $" ORDER BY v.version_no {dir}"
            : $" ORDER BY {sortExpr} {dir}, {tieExpr} {dir}");
        sql.Append(" LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", query.Limit + 1);
        cmd.CommandText = sql.ToString();

        var items = new List<ModelVersion>();
        string lastSortValue = "";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                if (items.Count == query.Limit)
                {
                    var last = items[^1];
                    var next = Cursor.Encode(lastSortValue + "\n" + last.Version.ToString(CultureInfo.InvariantCulture));
                    return new Page<ModelVersion>(items, next);
                }
                items.Add(Read(r));
                lastSortValue = sort.Field == "metrics"
                    ? r.GetDouble(11).ToString("R", CultureInfo.InvariantCulture)
                    : r.GetValue(11).ToString() ?? "";
            }
        }
        return new Page<ModelVersion>(items, null);
    }

    private static string TermSql(VersionFilter.Term term, int i, VersionFilter.SortSpec sort, SqliteCommand cmd)
    {
        var p = $"$f{i}";
        switch (term.Field)
        {
            case "version":
                cmd.Parameters.AddWithValue(p, VersionFilter.Number(term.Literal));
                return $"v.version_no {term.Op} {p}";
            case "created_at":
                Timestamps.TryParseUser(term.Literal, out var at);
                cmd.Parameters.AddWithValue(p, Timestamps.Format(at));
                return $"v.created_at {term.Op} {p}";
            case "created_by":
                cmd.Parameters.AddWithValue(p, term.Literal);
                return $"v.created_by {term.Op} {p}";
            case "metrics" when sort.Field == "metrics" && sort.Key == term.Key:
                cmd.Parameters.AddWithValue(p, VersionFilter.Number(term.Literal));
                return $"s.value {term.Op} {p}";
            case "metrics":
                cmd.Parameters.AddWithValue(p, VersionFilter.Number(term.Literal));
                cmd.Parameters.AddWithValue(p + "k", term.Key);
                return $"EXISTS(SELECT 1 FROM version_metrics f WHERE f.version_id = v.id AND f.key = {p}k AND f.value {term.Op} {p})";
            default:
                cmd.Parameters.AddWithValue(p + "k", term.Key);
                if (VersionFilter.IsNumber(term.Literal))
                {
                    cmd.Parameters.AddWithValue(p, VersionFilter.Number(term.Literal));
                    cmd.Parameters.AddWithValue(p + "t", term.Literal);
                    var match = term.Op switch
                    {
                        "=" => $"(f.num = {p} OR f.text = {p}t)",
                        "!=" => $"(f.num IS NULL OR f.num != {p}) AND f.text != {p}t",
                        _ => $"f.num {term.Op} {p}",
                    };
                    return $"EXISTS(SELECT 1 FROM version_params f WHERE f.version_id = v.id AND f.key = {p}k AND {match})";
                }
                cmd.Parameters.AddWithValue(p, term.Literal);
                return $"EXISTS(SELECT 1 FROM version_params f WHERE f.version_id = v.id AND f.key = {p}k AND f.text {term.Op} {p})";
        }
    }

    /// <summary>Versions across all models whose run used this dataset version, code commit and/or image.</summary>
    public IReadOnlyList<ModelVersion> FindByLineage(string? dataset, string? commit, string? image, int limit)
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        var where = new List<string>();
        if (dataset is not null)
        {
            where.Add("r.dataset_version = $ds");
            cmd.Parameters.AddWithValue("$ds", dataset);
        }
        if (commit is not null)
        {
            where.Add("r.code_commit = $commit");
            cmd.Parameters.AddWithValue("$commit", commit);
        }
        if (image is not null)
        {
            where.Add("r.container_image = $image");
            cmd.Parameters.AddWithValue("$image", image);
        }
        cmd.CommandText = $"SELECT {Columns} FROM runs r JOIN versions v ON v.run_id = r.run_id JOIN models m ON m.id = v.model_id " +
            $"WHERE {string.Join(" AND ", where)} ORDER BY m.name, v.version_no LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<ModelVersion>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(Read(r));
        }
        return list;
    }

    public StoreResult<VersionComparison> Compare(string model, long a, long b)
    {
        using var c = db.OpenRead();
        if (models.FindId(c, model) is null)
        {
            return StoreResult<VersionComparison>.Fail(StoreError.ModelNotFound, $"model '{model}' does not exist");
        }
        var va = Get(c, model, a);
        var vb = Get(c, model, b);
        if (va is null || vb is null)
        {
            return StoreResult<VersionComparison>.Fail(StoreError.VersionNotFound, $"{model} has no version {(va is null ? a : b)}");
        }
        return VersionComparison.Create(va, vb,
            va.RunId is null ? null : RunStore.Get(c, va.RunId),
            vb.RunId is null ? null : RunStore.Get(c, vb.RunId));
    }

    internal static ModelVersion Read(SqliteDataReader r) => new()
    {
        Model = r.GetString(0),
        Version = r.GetInt64(1),
        ArtifactDigest = r.GetString(2),
        RunId = r.IsDBNull(3) ? null : r.GetString(3),
        Framework = r.GetString(4),
        Metrics = JsonSerializer.Deserialize(r.GetString(5), MetadataJson.Default.DictionaryStringDouble) ?? [],
        Params = JsonSerializer.Deserialize(r.GetString(6), MetadataJson.Default.DictionaryStringJsonElement) ?? [],
        Tags = JsonSerializer.Deserialize(r.GetString(7), MetadataJson.Default.DictionaryStringString) ?? [],
        Status = r.GetString(8),
        CreatedBy = r.GetString(9),
        CreatedAt = Timestamps.Parse(r.GetString(10)),
    };
}
