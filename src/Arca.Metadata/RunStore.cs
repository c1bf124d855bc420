using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>Training runs: the lineage that versions point to.</summary>
public sealed class RunStore(MetadataDatabase db)
{
    private const string Columns =
        "run_id, dataset_version, code_commit, container_image, hyperparams, started_at, finished_at, created_by, created_at";

    public Task<StoreResult<Run>> CreateAsync(string actor, Run run)
    {
        if (!Names.IsValidRunId(run.RunId))
        {
            return Task.FromResult(StoreResult<Run>.Fail(StoreError.InvalidArgument,
                "run_id must be 1..128 characters of letters, digits, '_', '-', '.'"));
        }
        return db.WriteAsync(actor, ctx =>
        {
            if (Get(ctx.Connection, run.RunId) is not null)
            {
                return StoreResult<Run>.Fail(StoreError.RunExists, $"run '{run.RunId}' already exists");
            }
            using (var cmd = ctx.Command($"INSERT INTO runs({Columns}) VALUES($id, $ds, $commit, $image, $hp, $start, $finish, $by, $now)"))
            {
                cmd.Parameters.AddWithValue("$id", run.RunId);
                cmd.Parameters.AddWithValue("$ds", run.DatasetVersion);
                cmd.Parameters.AddWithValue("$commit", run.CodeCommit);
                cmd.Parameters.AddWithValue("$image", run.ContainerImage);
                cmd.Parameters.AddWithValue("$hp", JsonSerializer.Serialize(run.Hyperparams, MetadataJson.Default.DictionaryStringJsonElement));
                cmd.Parameters.AddWithValue("$start", run.StartedAt is { } s ? Timestamps.Format(s) : DBNull.Value);
                cmd.Parameters.AddWithValue("$finish", run.FinishedAt is { } f ? Timestamps.Format(f) : DBNull.Value);
                cmd.Parameters.AddWithValue("$by", ctx.Actor);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                cmd.ExecuteNonQuery();
            }
            var stored = Get(ctx.Connection, run.RunId)!;
            var json = JsonSerializer.Serialize(stored, MetadataJson.Default.Run);
            ctx.AppendAudit("run.create", "run/" + run.RunId, null, json, "");
            ctx.AppendEvent("run.created", null, json);
            return stored;
        });
    }

    public StoreResult<Run> Get(string runId)
    {
        using var c = db.OpenRead();
        return Get(c, runId) is { } run ? run : StoreResult<Run>.Fail(StoreError.RunNotFound, $"run '{runId}' does not exist");
    }

    internal static Run? Get(SqliteConnection c, string runId)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM runs WHERE run_id = $id";
        cmd.Parameters.AddWithValue("$id", runId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static Run Read(SqliteDataReader r) => new()
    {
        RunId = r.GetString(0),
        DatasetVersion = r.GetString(1),
        CodeCommit = r.GetString(2),
        ContainerImage = r.GetString(3),
        Hyperparams = JsonSerializer.Deserialize(r.GetString(4), MetadataJson.Default.DictionaryStringJsonElement) ?? [],
        StartedAt = r.IsDBNull(5) ? null : Timestamps.Parse(r.GetString(5)),
        FinishedAt = r.IsDBNull(6) ? null : Timestamps.Parse(r.GetString(6)),
        CreatedBy = r.GetString(7),
        CreatedAt = Timestamps.Parse(r.GetString(8)),
    };
}
