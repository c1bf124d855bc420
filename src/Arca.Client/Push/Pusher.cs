using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arca.Client.Transfer;

namespace Arca.Client.Push;

/// <summary>
/// Publishes a directory (one layer per file) or a single file as a new version: layers the registry already has are
/// skipped (HEAD), the others upload in parallel through resumable sessions, then the manifest, the run, the version
/// and optionally an alias. Running it again after an interruption resumes each upload where the registry stands.
/// </summary>
public sealed class Pusher(RegistryClient registry, ClientCache cache, TransferProgress progress)
{
    /// <summary>Files at least this large are uploaded while they are being hashed, not after.</summary>
    private const long StreamingThreshold = 64L << 20;

    private long _bytesUploaded;
    private int _layersUploaded;

    public async Task<PushResult> PushAsync(PushOptions options, CancellationToken ct)
    {
        var files = Enumerate(options.Path);
        if (files.Count == 0)
        {
            throw new ArcaClientException($"{options.Path}: no files to push", ExitCodes.Usage);
        }
        foreach (var (file, _) in files)
        {
            progress.AddTotal(file.Length);
        }
        var layers = new LayerDescriptor[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallel), CancellationToken = ct },
            async (i, token) =>
            {
                var (file, path) = files[i];
                var digest = await PushFileAsync(file, token);
                layers[i] = new LayerDescriptor(path, digest, file.Length, MediaTypes.ForPath(path));
            });

        var manifest = Manifest.Canonical(layers);
        var manifestDigest = Manifest.Digest(manifest);
        using (var put = new HttpRequestMessage(HttpMethod.Put, "v1/manifests/" + manifestDigest) { Content = new ByteArrayContent(manifest) })
        {
            put.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(Manifest.MediaType);
            using var response = await registry.Http.SendAsync(put, ct);
            await EnsureAsync(response, "storing the manifest", ct);
        }

        var runId = options.RunId;
        if (runId is null && (options.Dataset ?? options.Commit ?? options.Image) is not null)
        {
            var run = await registry.SendAsync(HttpMethod.Post, "/v1/runs", new JsonObject
            {
                ["dataset_version"] = options.Dataset,
                ["code_commit"] = options.Commit,
                ["container_image"] = options.Image,
            }, ct: ct);
            runId = run.IsSuccess ? run.Body!.Value.GetProperty("run_id").GetString() : throw ArcaClientException.From(run, "recording the run");
        }

        var metrics = new JsonObject();
        foreach (var (k, v) in options.Metrics)
        {
            metrics[k] = v;
        }
        var parameters = new JsonObject();
        foreach (var (k, v) in options.Params)
        {
            parameters[k] = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? JsonValue.Create(d)
                : v is "true" or "false" ? JsonValue.Create(v == "true") : JsonValue.Create(v);
        }
        var tags = new JsonObject();
        foreach (var (k, v) in options.Tags)
        {
            tags[k] = v;
        }
        var body = new JsonObject
        {
            ["artifact_digest"] = manifestDigest,
            ["framework"] = options.Framework,
            ["metrics"] = metrics,
            ["params"] = parameters,
            ["tags"] = tags,
        };
        if (runId is not null)
        {
            body["run_id"] = runId;
        }
        var registered = await registry.SendAsync(HttpMethod.Post, $"/v1/models/{options.Model}/versions", body, ct: ct);
        long version;
        bool created;
        if (registered.Status == 201)
        {
            version = registered.Body!.Value.GetProperty("version").GetInt64();
            created = true;
        }
        else if (registered.Status == 409 && registered.Body is { } conflict && conflict.TryGetProperty("existing", out var existing))
        {
            version = existing.GetProperty("version").GetInt64();
            created = false;
        }
        else
        {
            throw ArcaClientException.From(registered, "registering the version");
        }

        if (options.Alias is { } alias)
        {
            var moved = await registry.SendAsync(HttpMethod.Put, $"/v1/models/{options.Model}/aliases/{alias}",
                new JsonObject { ["version"] = version, ["reason"] = "arca push" }, ct: ct);
            if (!moved.IsSuccess)
            {
                throw ArcaClientException.From(moved, $"moving alias '{alias}'");
            }
        }
        return new PushResult(options.Model, version, manifestDigest, created, files.Count, _layersUploaded,
            Interlocked.Read(ref _bytesUploaded), progress.Skipped, options.Alias);
    }

    /// <summary>Uploads one file unless the registry has it; returns its digest.</summary>
    private async Task<string> PushFileAsync(FileInfo file, CancellationToken ct)
    {
        var digest = cache.CachedDigest(file);
        if (digest is null && file.Length < StreamingThreshold)
        {
            digest = await HashAsync(file, ct);
            cache.RememberDigest(file, digest);
        }
        if (digest is not null)
        {
            if (await ExistsAsync(digest, ct))
            {
                progress.AddSkipped(file.Length);
                progress.AddDone(file.Length);
                return digest;
            }
            await UploadAsync(file, Task.FromResult(digest), ct);
            return digest;
        }

        // A large file not hashed before: upload and hash at the same time; if the registry turns out to have it,
        // stop the upload and skip.
        using var upload = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = HashAsync(file, ct);
        var uploading = UploadAsync(file, hashing, upload.Token);
        digest = await hashing;
        cache.RememberDigest(file, digest);
        if (!uploading.IsCompleted && await ExistsAsync(digest, ct))
        {
            await upload.CancelAsync();
            try
            {
                await uploading;
            }
            catch (OperationCanceledException)
            {
                // Expected: the registry already has this file.
            }
            progress.AddSkipped(file.Length);
            return digest;
        }
        await uploading;
        return digest;
    }

    private async Task UploadAsync(FileInfo file, Task<string> digest, CancellationToken ct)
    {
        var registryKey = registry.BaseAddress.ToString();
        long offset = 0;
        string? location = cache.UploadSession(file, registryKey);
        if (location is not null)
        {
            using var status = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, location.TrimStart('/')), ct);
            if (status.StatusCode == HttpStatusCode.NoContent && status.Headers.TryGetValues("Upload-Offset", out var values)
                && long.TryParse(values.First(), CultureInfo.InvariantCulture, out var known) && known <= file.Length)
            {
                offset = known;
                progress.AddDone(offset);
                progress.AddSkipped(offset);
            }
            else
            {
                location = null;
            }
        }
        if (location is null)
        {
            using var start = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/blobs/uploads"), ct);
            await EnsureAsync(start, $"starting the upload of {file.Name}", ct);
            location = start.Headers.Location?.OriginalString ?? throw new ArcaClientException("the registry sent no upload location", ExitCodes.Failure);
            cache.RememberUploadSession(file, registryKey, location);
        }

        if (offset < file.Length)
        {
            var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            stream.Seek(offset, SeekOrigin.Begin);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location.TrimStart('/'))
            {
                Content = new StreamContent(new ProgressStream(stream, file.Length - offset, progress), 1 << 20),
            };
            patch.Content.Headers.ContentLength = file.Length - offset;
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{file.Length - 1}");
            using var response = await registry.Http.SendAsync(patch, ct);
            await EnsureAsync(response, $"uploading {file.Name}", ct);
        }

        var expected = await digest;
        using var finish = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"{location.TrimStart('/')}?digest={expected}"), ct);
        cache.ForgetUploadSession(file, registryKey);
        if (finish.StatusCode == HttpStatusCode.BadRequest)
        {
            // DIGEST_INVALID: the registry keeps the ended session for a PUT with the right digest; this push starts
            // over next time, so free it now instead of at its expiry.
            try
            {
                using var cancel = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, location.TrimStart('/')), ct);
            }
            catch (HttpRequestException)
            {
                // It expires anyway.
            }
        }
        await EnsureAsync(finish, $"finishing the upload of {file.Name} (did it change during the push?)", ct);
        Interlocked.Add(ref _bytesUploaded, file.Length - offset);
        Interlocked.Increment(ref _layersUploaded);
    }

    private async Task<bool> ExistsAsync(string digest, CancellationToken ct)
    {
        using var head = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v1/blobs/" + digest), ct);
        if (head.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound)
        {
            return head.StatusCode == HttpStatusCode.OK;
        }
        throw new ArcaClientException($"checking blob {digest}: HTTP {(int)head.StatusCode}", ExitCodes.FromStatus((int)head.StatusCode));
    }

    public static async Task<string> HashAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string doing, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string? code = null, detail = null;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
            detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            // Not a problem document.
        }
        throw ArcaClientException.From(new RegistryResponse((int)response.StatusCode, null, code, detail), doing);
    }

    /// <summary>The regular files to push with their '/'-separated paths relative to the pushed directory.</summary>
    public static List<(FileInfo File, string Path)> Enumerate(string path)
    {
        if (File.Exists(path))
        {
            var f = new FileInfo(path);
            return [(f, f.Name)];
        }
        if (!Directory.Exists(path))
        {
            throw new ArcaClientException($"{path}: no such file or directory", ExitCodes.Usage);
        }
        var root = Path.GetFullPath(path);
        return new DirectoryInfo(root)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => (f, Path.GetRelativePath(root, f.FullName).Replace('\\', '/')))
            .Where(e => !e.Item2.StartsWith(".arca/", StringComparison.Ordinal))
            .OrderBy(e => e.Item2, StringComparer.Ordinal)
            .ToList();
    }
}
