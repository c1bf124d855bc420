using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Arca.Metadata;

/// <summary>
/// Blob and manifest records. A blob becomes visible when its row commits, which the server does only after the
/// chunk store made its bytes durable. Records never change, so lookups are cached.
/// </summary>
public sealed class BlobCatalog(MetadataDatabase db)
{
    public const string ManifestMediaType = "application/vnd.arca.manifest.v1+json";

    private readonly ConcurrentDictionary<string, BlobRecord> _cache = new(StringComparer.Ordinal);

    /// <summary>Records a blob; recording one that exists is a no-op that returns the existing record.</summary>
    public Task<StoreResult<BlobRecord>> AddAsync(string actor, BlobRecord blob) =>
        db.WriteAsync<BlobRecord>(actor, ctx =>
        {
            if (Get(ctx.Connection, blob.Digest) is { } existing)
            {
                return existing;
            }
            Insert(ctx, blob);
            return Get(ctx.Connection, blob.Digest)!;
        });

    /// <summary>Records a manifest (its blob row too) and its layers, which must all be stored already.</summary>
    public Task<StoreResult<BlobRecord>> AddManifestAsync(string actor, BlobRecord blob, string body, IReadOnlyList<ManifestLayer> layers) =>
        db.WriteAsync(actor, ctx =>
        {
            if (Get(ctx.Connection, blob.Digest) is { } existing && HasManifest(ctx.Connection, blob.Digest))
            {
                return existing;
            }
            foreach (var layer in layers)
            {
                var stored = Get(ctx.Connection, layer.Digest);
                if (stored is null)
                {
                    return StoreResult<BlobRecord>.Fail(StoreError.ArtifactNotStored, $"layer '{layer.Path}': blob {layer.Digest} is not stored");
                }
                if (stored.Size != layer.Size)
                {
                    return StoreResult<BlobRecord>.Fail(StoreError.InvalidArgument,
                        $"layer '{layer.Path}': size {layer.Size} does not match the stored blob's {stored.Size}");
                }
            }
            if (Get(ctx.Connection, blob.Digest) is null)
            {
                Insert(ctx, blob);
            }
            using (var cmd = ctx.Command("INSERT INTO manifests(digest, body, created_at) VALUES($d, $body, $now)"))
            {
                cmd.Parameters.AddWithValue("$d", blob.Digest);
                cmd.Parameters.AddWithValue("$body", body);
                cmd.Parameters.AddWithValue("$now", ctx.NowText);
                cmd.ExecuteNonQuery();
            }
            for (var i = 0; i < layers.Count; i++)
            {
                using var cmd = ctx.Command("INSERT INTO manifest_layers VALUES($m, $i, $path, $d, $size, $type)");
                cmd.Parameters.AddWithValue("$m", blob.Digest);
                cmd.Parameters.AddWithValue("$i", i);
                cmd.Parameters.AddWithValue("$path", layers[i].Path);
                cmd.Parameters.AddWithValue("$d", layers[i].Digest);
                cmd.Parameters.AddWithValue("$size", layers[i].Size);
                cmd.Parameters.AddWithValue("$type", layers[i].MediaType);
                cmd.ExecuteNonQuery();
            }
            ctx.AppendAudit("manifest.store", blob.Digest, null, body, "");
            return Get(ctx.Connection, blob.Digest)!;
        });

    public BlobRecord? Get(string digest)
    {
        if (_cache.TryGetValue(digest, out var hit))
        {
            return hit;
        }
        using var c = db.OpenRead();
        var found = Get(c, digest);
        if (found is not null)
        {
            _cache.TryAdd(digest, found);
        }
        return found;
    }

    /// <summary>The manifest body and layers, or null when <paramref name="digest"/> is not a stored manifest.</summary>
    public (string Body, IReadOnlyList<ManifestLayer> Layers)? GetManifest(string digest)
    {
        using var c = db.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT body FROM manifests WHERE digest = $d";
        cmd.Parameters.AddWithValue("$d", digest);
        if (cmd.ExecuteScalar() is not string body)
        {
            return null;
        }
        using var layersCmd = c.CreateCommand();
        layersCmd.CommandText = "SELECT path, digest, size, media_type FROM manifest_layers WHERE manifest = $d ORDER BY position";
        layersCmd.Parameters.AddWithValue("$d", digest);
        var layers = new List<ManifestLayer>();
        using var r = layersCmd.ExecuteReader();
        while (r.Read())
        {
            layers.Add(new ManifestLayer { Path = r.GetString(0), Digest = r.GetString(1), Size = r.GetInt64(2), MediaType = r.GetString(3) });
        }
        return (body, layers);
    }

    public bool IsManifest(string digest)
    {
        using var c = db.OpenRead();
        return HasManifest(c, digest);
    }

    private static bool HasManifest(SqliteConnection c, string digest)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM manifests WHERE digest = $d";
        cmd.Parameters.AddWithValue("$d", digest);
        return cmd.ExecuteScalar() is not null;
    }

    private static void Insert(WriteContext ctx, BlobRecord blob)
    {
        using var cmd = ctx.Command("INSERT INTO blobs(digest, size, media_type, recipe, new_bytes, created_by, created_at) " +
            "VALUES($d, $size, $type, $recipe, $new, $by, $now)");
        cmd.Parameters.AddWithValue("$d", blob.Digest);
        cmd.Parameters.AddWithValue("$size", blob.Size);
        cmd.Parameters.AddWithValue("$type", blob.MediaType);
        cmd.Parameters.AddWithValue("$recipe", blob.Recipe);
        cmd.Parameters.AddWithValue("$new", blob.NewBytes);
        cmd.Parameters.AddWithValue("$by", ctx.Actor);
        cmd.Parameters.AddWithValue("$now", ctx.NowText);
        cmd.ExecuteNonQuery();
        ctx.AppendAudit("blob.store", blob.Digest, null,
            $$"""{"size":{{blob.Size}},"media_type":"{{blob.MediaType.Replace("\"", "", StringComparison.Ordinal)}}","new_bytes":{{blob.NewBytes}}}""", "");
    }

    private static BlobRecord? Get(SqliteConnection c, string digest)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT digest, size, media_type, recipe, new_bytes, created_by, created_at FROM blobs WHERE digest = $d";
        cmd.Parameters.AddWithValue("$d", digest);
        using var r = cmd.ExecuteReader();
        return r.Read()
            ? new BlobRecord
            {
                Digest = r.GetString(0),
                Size = r.GetInt64(1),
                MediaType = r.GetString(2),
                Recipe = (byte[])r.GetValue(3),
                NewBytes = r.GetInt64(4),
                CreatedBy = r.GetString(5),
                CreatedAt = Timestamps.Parse(r.GetString(6)),
            }
            : null;
    }
}
