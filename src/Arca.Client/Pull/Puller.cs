using System.Security.Cryptography;
using System.Text;
using Arca.Client.Transfer;

namespace Arca.Client.Pull;

/// <summary>
/// Fetches a version's files into a directory, verified: each layer is downloaded to <c>DIR/.arca/partial/</c>,
/// checked (sha256 of the file, and of each chunk against the recipe), then renamed into place. A file never
/// appears at its final path unverified or partial. A run after an interruption resumes partial layers.
/// </summary>
public sealed class Puller(RegistryClient registry, TransferProgress progress)
{
    public async Task<ResolvedArtifact> ResolveAsync(ModelReference reference, CancellationToken ct, int ttlSeconds = 3600)
    {
        long version;
        if (reference.Alias is { } alias)
        {
            var resolved = await registry.SendAsync(HttpMethod.Get, $"/v1/models/{reference.Model}/aliases/{alias}", ct: ct);
            version = resolved.IsSuccess ? resolved.Body!.Value.GetProperty("version").GetInt64()
                : throw ArcaClientException.From(resolved, $"resolving {reference}");
        }
        else if (reference.Version is { } v)
        {
            version = v;
        }
        else
        {
            var model = await registry.SendAsync(HttpMethod.Get, $"/v1/models/{reference.Model}", ct: ct);
            version = model.IsSuccess ? model.Body!.Value.GetProperty("latest_version").GetInt64()
                : throw ArcaClientException.From(model, $"looking up {reference.Model}");
            if (version == 0)
            {
                throw new ArcaClientException($"{reference.Model} has no versions yet", ExitCodes.NotFound);
            }
        }
        var got = await registry.SendAsync(HttpMethod.Get, $"/v1/models/{reference.Model}/versions/{version}", ct: ct);
        var digest = got.IsSuccess ? got.Body!.Value.GetProperty("artifact_digest").GetString()!
            : throw ArcaClientException.From(got, $"reading {reference.Model}:{version}");
        var download = await registry.SendAsync(HttpMethod.Get, $"/v1/artifacts/{digest}/download?ttl={ttlSeconds}", ct: ct);
        if (!download.IsSuccess)
        {
            throw ArcaClientException.From(download, $"getting download URLs of {reference.Model}:{version}");
        }
        var layers = download.Body!.Value.GetProperty("layers").EnumerateArray().Select(l => new RemoteLayer(
            l.GetProperty("path").GetString()!, l.GetProperty("digest").GetString()!, l.GetProperty("size").GetInt64(),
            l.GetProperty("url").GetString()!)).ToList();
        foreach (var layer in layers)
        {
            if (!IsSafeRelativePath(layer.Path))
            {
                throw new ArcaClientException($"the registry sent an unsafe layer path '{layer.Path}'", ExitCodes.VerificationFailed);
            }
        }
        return new ResolvedArtifact(reference.Model, version, digest, layers);
    }

    public async Task<PullResult> PullAsync(ResolvedArtifact artifact, string directory, PullOptions options, CancellationToken ct)
    {
        var root = Path.GetFullPath(directory);
        var partialDir = Path.Combine(root, ".arca", "partial");
        var placedDir = Path.Combine(root, ".arca", "placed");
        Directory.CreateDirectory(partialDir);
        Directory.CreateDirectory(placedDir);
        foreach (var layer in artifact.Layers)
        {
            progress.AddTotal(layer.Size);
        }
        int fetched = 0;
        long bytesFetched = 0, inPlace = 0;
        await Parallel.ForEachAsync(artifact.Layers, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallel), CancellationToken = ct },
            async (layer, token) =>
            {
                var final = Path.Combine(root, layer.Path);
                var marker = Path.Combine(placedDir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(layer.Path)))[..32]);
                if (IsPlaced(final, marker, layer))
                {
                    progress.AddDone(layer.Size);
                    progress.AddSkipped(layer.Size);
                    Interlocked.Add(ref inPlace, layer.Size);
                    return;
                }
                var partial = Path.Combine(partialDir, layer.Digest["sha256:".Length..]);
                var chunks = options.VerifyChunks ? await RecipeAsync(layer.Digest, token) : null;
                var resumed = await new LayerDownloader(registry.Http, layer, partial, options, chunks, progress).DownloadAsync(token);
                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                File.Move(partial, final, overwrite: true);
                var info = new FileInfo(final);
                File.WriteAllText(marker, $"{layer.Digest} {info.Length} {info.LastWriteTimeUtc.Ticks}");
                Interlocked.Increment(ref fetched);
                // A prefix verified by an interrupted run was on disk already: only the rest moved this time.
                Interlocked.Add(ref bytesFetched, layer.Size - resumed);
                Interlocked.Add(ref inPlace, resumed);
            });
        return new PullResult(artifact.Model, artifact.Version, artifact.ArtifactDigest, root, artifact.Layers.Count, fetched,
            bytesFetched, inPlace);
    }

    /// <summary>A layer placed by an earlier pull and not modified since (same size and modification time).</summary>
    private static bool IsPlaced(string final, string marker, RemoteLayer layer)
    {
        try
        {
            if (!File.Exists(final) || !File.Exists(marker))
            {
                return false;
            }
            var info = new FileInfo(final);
            return File.ReadAllText(marker) == $"{layer.Digest} {info.Length} {info.LastWriteTimeUtc.Ticks}";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task<IReadOnlyList<(string, long, int)>?> RecipeAsync(string digest, CancellationToken ct)
    {
        var response = await registry.SendAsync(HttpMethod.Get, $"/v1/blobs/{digest}/recipe", ct: ct);
        if (!response.IsSuccess)
        {
            return null; // no recipe (e.g. an older tier): the whole-file digest still decides
        }
        return response.Body!.Value.GetProperty("chunks").EnumerateArray()
            .Select(c => (c.GetProperty("digest").GetString()!, c.GetProperty("offset").GetInt64(), c.GetProperty("length").GetInt32()))
            .ToList();
    }

    public static bool IsSafeRelativePath(string path)
    {
        if (path.Length == 0 || path[0] == '/' || path.Contains('\\', StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            return false;
        }
        return path.Split('/').All(s => s is not ("" or "." or "..")) && !path.StartsWith(".arca/", StringComparison.Ordinal);
    }
}
