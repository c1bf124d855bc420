using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Arca.Configuration;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Blobs;
using Arca.Server.Endpoints;
using Arca.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Tier;

/// <summary>
/// The control plane of a seeder or edge, in front of the endpoints: writes are redirected (307) to the upstream;
/// alias resolves are cached for <c>tier.resolve_ttl_seconds</c>, dropped as soon as the upstream's event stream says
/// the alias moved, and served stale (with <c>Age</c> and <c>Warning</c>) for up to <c>tier.max_stale_seconds</c> when the
/// upstream cannot be reached; immutable reads (versions, lineage, manifests, recipes) are cached without expiry;
/// everything else is passed through with the caller's own credentials. Clients authenticate with the origin's tokens,
/// which the tier checks with its upstream (<c>GET /v1/whoami</c>) and caches (see <see cref="AuthenticateAsync"/>).
/// </summary>
public sealed partial class TierGateway : IAsyncDisposable
{
    /// <summary>
    /// <c>X-Arca-Prefetch: 1</c>, sent by a tier with the manifest or recipe fetch it makes because a client of its own
    /// is about to read bytes (it asked for download URLs, or for a blob this tier does not hold): the tier above starts
    /// fetching the first run of those blobs from its own upstream right away, not one round trip later.
    /// </summary>
    public const string PrefetchHeader = "X-Arca-Prefetch";

    /// <summary>
    /// <c>X-Arca-Prefetch-For: &lt;token&gt;</c>, sent with <see cref="PrefetchHeader"/> by a tier that fetches a recipe
    /// while it checks a new client token: prefetch only once that token checks out here (never bytes for a bad one).
    /// </summary>
    public const string PrefetchForHeader = "X-Arca-Prefetch-For";

    /// <summary>How long a checked token is trusted before it is checked upstream again (in the background on the data
    /// plane): the most a revocation takes to reach this tier, per tier level. One upstream call per token per TTL.</summary>
    private static readonly TimeSpan TokenTtl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BadTokenTtl = TimeSpan.FromSeconds(5);

    /// <summary>How long after its last check a good token is still answered from memory while it is checked again.</summary>
    private static readonly TimeSpan TokenRefreshWindow = TimeSpan.FromMinutes(1);
    private const int MaxImmutable = 20_000;

    private readonly ArcaOptions _options;
    private readonly Upstream _upstream;
    private readonly TierContent _content;
    private readonly BlobCatalog _catalog;
    private readonly TierCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Cached> _resolves = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Cached> _immutable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<bool>> _manifestFetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Principal? Principal, DateTimeOffset At)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revokedTokenIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Principal?>> _tokenChecks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Model, long Version), string> _versions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _follower;

    public TierGateway(ArcaOptions options, Upstream upstream, TierContent content, BlobCatalog catalog, TierCounters counters,
        TimeProvider time, ILogger log)
    {
        _options = options;
        _upstream = upstream;
        _content = content;
        _catalog = catalog;
        _counters = counters;
        _time = time;
        _log = log;
        Access = new Access(AuthenticateAsync, options.AnonymousRead);
        _follower = Task.Run(FollowEventsAsync);
        _ = Task.Run(CheckUpstreamTokenAsync);
    }

    /// <summary>Authorization of this tier's clients (tokens checked upstream).</summary>
    public Access Access { get; }

    /// <summary>Whether the upstream event stream is followed right now.</summary>
    public bool FollowingEvents { get; private set; }

    /// <summary>Versions this tier was asked to hold (pre-warm) or served, with their artifact digests.</summary>
    public IReadOnlyDictionary<(string Model, long Version), string> Versions => _versions;

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var method = ctx.Request.Method;
        if (!path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/v1/tier/", StringComparison.Ordinal)
            || (path == "/v1/prewarm" && HttpMethods.IsPost(method)))
        {
            await next(ctx);
            return;
        }
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            // Writes go to the origin: 307 keeps the method and body (clients re-send their credentials).
            ctx.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            ctx.Response.Headers.Location = _upstream.ControlUrl + path + ctx.Request.QueryString.Value;
            return;
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["v1", "manifests", var m] || segments is ["v1", "artifacts", var m2, "download"] && (m = m2) is not null)
        {
            if (await Access.RequireAsync(ctx, Roles.Read, null) is null)
            {
                return;
            }
            // Download URLs (or a tier below that was asked for them) mean the layers are read next.
            var prefetch = segments.Length == 4 || ctx.Request.Headers[PrefetchHeader] == "1";
            try
            {
                if (await EnsureManifestAsync(m, ctx.RequestAborted, prefetch) && prefetch)
                {
                    await AnticipateDownloadAsync(m, ctx.RequestAborted);
                }
            }
            catch (UpstreamException e)
            {
                await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
                return;
            }
            await next(ctx);
            return;
        }
        if (segments.Length is 3 or 4 && segments[0] == "v1" && segments[1] == "blobs" && segments[2] != "uploads"
            && (segments.Length == 3 || segments[3] == "recipe"))
        {
            var b = segments[2];
            if (await Access.RequireAsync(ctx, Roles.Read, null) is null)
            {
                return;
            }
            var prefetch = segments.Length == 4 && ctx.Request.Headers[PrefetchHeader] == "1";
            var vouch = prefetch && ctx.Request.Headers[PrefetchForHeader].ToString() is { Length: > 0 } vouchToken ? vouchToken : null;
            // The vouching token is checked while the recipe is fetched, not after it.
            var vouched = vouch is not null ? VouchesAsync(vouch) : null;
            try
            {
                var blob = Names.IsValidDigest(b) ? await _content.GetBlobAsync(b, ctx.RequestAborted, prefetch, vouch) : null;
                if (blob is not null)
                {
                    // The endpoint below answers from the record held here: the local row may still be committing.
                    ctx.Items[BlobEndpoints.HeldRecordKey] = blob.Record;
                    if (vouched is not null)
                    {
                        _ = AnticipateForAsync(blob, vouched);
                    }
                    else if (prefetch)
                    {
                        _content.Anticipate(blob);
                    }
                }
            }
            catch (UpstreamException e)
            {
                await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
                return;
            }
            await next(ctx);
            return;
        }
        var (model, rest) = ModelPath(segments);
        if (model is not null && rest is ["aliases", _])
        {
            await ResolveAsync(ctx, path, model);
            return;
        }
        if (model is not null && rest is ["versions", var v, ..] && rest.Length <= 3 && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && (rest.Length == 2 || rest[2] == "lineage"))
        {
            await ImmutableAsync(ctx, path, model);
            return;
        }
        await PassThroughAsync(ctx, path);
    }

    /// <summary>A prefetch vouched for by a client token: starts once the token checks out (checked once however many ask).</summary>
    private async Task AnticipateForAsync(TierBlob blob, Task<bool> vouched)
    {
        if (await vouched)
        {
            _content.Anticipate(blob);
        }
    }

    /// <summary>Whether a token vouching for a prefetch may read; false when it cannot be checked (no check, no prefetch).</summary>
    private async Task<bool> VouchesAsync(string token)
    {
        try
        {
            return await AuthenticateAsync(token) is { } principal && principal.Allows(Roles.Read, null);
        }
        catch (UpstreamException)
        {
            return false; // the chunks are fetched when they are asked for
        }
    }

    /// <summary>Download URLs were asked for: start filling the layers now (a handful; big artifacts fill as read).</summary>
    private async Task AnticipateDownloadAsync(string digest, CancellationToken ct)
    {
        foreach (var layer in (_catalog.GetManifest(digest)?.Layers ?? []).Take(16))
        {
            if (await _content.GetBlobAsync(layer.Digest, ct) is { } blob)
            {
                _content.Anticipate(blob);
            }
        }
    }

    /// <summary>(model name, segments after it) for /v1/models/{name}[/...] with an optional team/ namespace.</summary>
    private static (string? Model, string[] Tail) ModelPath(string[] segments)
    {
        if (segments.Length < 3 || segments[1] != "models")
        {
            return (null, []);
        }
        if (segments.Length >= 4 && !Names.Reserved.Contains(segments[3]))
        {
            return (segments[2] + "/" + segments[3], segments[4..]);
        }
        return (segments[2], segments[3..]);
    }

    private async Task ResolveAsync(HttpContext ctx, string path, string model)
    {
        if (await Access.RequireAsync(ctx, Roles.Read, model) is null)
        {
            return;
        }
        var now = _time.GetUtcNow();
        var noCache = ctx.Request.Headers.CacheControl.Any(v => v is not null && v.Contains("no-cache", StringComparison.OrdinalIgnoreCase));
        _resolves.TryGetValue(path, out var cached);
        if (!noCache && cached is { Invalidated: false } && now - cached.At < TimeSpan.FromSeconds(_options.ResolveTtlSeconds))
        {
            _counters.Hit();
            await WriteAsync(ctx, cached.Response, now - cached.At, stale: false);
            return;
        }
        try
        {
            // After an invalidation the tiers above may still hold the old answer: ask them not to use their caches.
            var response = await _upstream.GetAsync(path, ctx.RequestAborted, noCache: noCache || cached is { Invalidated: true });
            if (response.Status == 200)
            {
                _resolves[path] = new Cached(response, now);
                if (TryReadVersion(response.Body, out var version, out var digest))
                {
                    _versions[(model, version)] = digest;
                }
            }
            else if (response.Status == 404)
            {
                _resolves.TryRemove(path, out _);
            }
            await WriteAsync(ctx, response, TimeSpan.Zero, stale: false);
        }
        catch (UpstreamException e)
        {
            _counters.UpstreamError();
            if (cached is not null && now - cached.At <= TimeSpan.FromSeconds(_options.MaxStaleSeconds))
            {
                _counters.StaleResolve();
                Log.ServingStale(_log, path, (long)(now - cached.At).TotalSeconds, e.Message);
                await WriteAsync(ctx, cached.Response, now - cached.At, stale: true);
                return;
            }
            await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
        }
    }

    private async Task ImmutableAsync(HttpContext ctx, string path, string model)
    {
        if (await Access.RequireAsync(ctx, Roles.Read, model) is null)
        {
            return;
        }
        if (_immutable.TryGetValue(path, out var cached))
        {
            _counters.Hit();
            await WriteAsync(ctx, cached.Response, TimeSpan.Zero, stale: false);
            return;
        }
        try
        {
            var response = await _upstream.GetAsync(path, ctx.RequestAborted);
            if (response.Status == 200)
            {
                if (_immutable.Count >= MaxImmutable)
                {
                    _immutable.Clear();
                }
                _immutable[path] = new Cached(response, _time.GetUtcNow());
            }
            await WriteAsync(ctx, response, TimeSpan.Zero, stale: false);
        }
        catch (UpstreamException e)
        {
            _counters.UpstreamError();
            await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
        }
    }

    private async Task PassThroughAsync(HttpContext ctx, string path)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in (string[])["Authorization", "Accept", "Last-Event-ID", "If-None-Match"])
        {
            if (ctx.Request.Headers[name] is { Count: > 0 } value)
            {
                headers.Add(new(name, value.ToString()));
            }
        }
        if (ctx.Request.Headers.Authorization.Count == 0
            && (!_options.AnonymousRead || path.StartsWith("/v1/tokens", StringComparison.Ordinal) || path.StartsWith("/v1/audit", StringComparison.Ordinal)))
        {
            // Anonymous callers read through this tier's own credentials only when it allows anonymous reads, and
            // never the administrative lists.
            await Exchange.Problem(ctx, ProblemCode.Unauthorized, "send 'Authorization: Bearer <token>'");
            return;
        }
        HttpResponseMessage response;
        try
        {
            response = await _upstream.ForwardAsync(path + ctx.Request.QueryString.Value, headers, ctx.RequestAborted);
        }
        catch (UpstreamException e)
        {
            _counters.UpstreamError();
            await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
            return;
        }
        using (response)
        {
            ctx.Response.StatusCode = (int)response.StatusCode;
            foreach (var h in response.Headers.Concat(response.Content.Headers))
            {
                if (h.Key is not ("Transfer-Encoding" or "Connection" or "Keep-Alive" or "Date" or "Server"))
                {
                    ctx.Response.Headers[h.Key] = h.Value.ToArray();
                }
            }
            if (HttpMethods.IsHead(ctx.Request.Method))
            {
                return;
            }
            await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
            var buffer = new byte[16 * 1024];
            int n;
            try
            {
                while ((n = await body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
                {
                    await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted); // events and SSE frames go out as they come
                }
            }
            catch (IOException)
            {
                ctx.Abort(); // the upstream went away mid-body: do not pretend the response is complete
            }
        }
    }

    private static async Task WriteAsync(HttpContext ctx, UpstreamResponse response, TimeSpan age, bool stale)
    {
        ctx.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            ctx.Response.Headers[name] = value;
        }
        if (age > TimeSpan.Zero || stale)
        {
            ctx.Response.Headers.Age = ((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
        if (stale)
        {
            ctx.Response.Headers.Warning = "110 - \"Response is Stale\"";
            ctx.Response.Headers["X-Arca-Stale"] = "true";
        }
        ctx.Response.ContentLength = response.Body.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await ctx.Response.Body.WriteAsync(response.Body, ctx.RequestAborted);
        }
    }

    /// <summary>Makes sure the manifest, its own blob and every layer's recipe are recorded here. False: the upstream has no such manifest.</summary>
    public async Task<bool> EnsureManifestAsync(string digest, CancellationToken ct, bool prefetch = false)
    {
        if (!Names.IsValidDigest(digest) || _catalog.GetManifest(digest) is not null)
        {
            return true;
        }
        return await SingleFlight.Run(_manifestFetches, digest, () => Task.Run(() => FetchManifestAsync(digest, prefetch))).WaitAsync(ct);
    }

    private async Task<bool> FetchManifestAsync(string digest, bool prefetch)
    {
        var response = await _upstream.GetAsync("/v1/manifests/" + digest, _stopping.Token,
            extraHeaders: prefetch ? [new(PrefetchHeader, "1")] : null);
        if (response.Status == 404)
        {
            return false;
        }
        if (response.Status != 200)
        {
            throw new UpstreamException($"{_upstream.ControlUrl}/v1/manifests/{digest}: {response.Status} (is tier.upstream_token valid?)");
        }
        if (Convert.ToHexStringLower(SHA256.HashData(response.Body)) != digest["sha256:".Length..])
        {
            _counters.VerificationFailure();
            throw new UpstreamException($"manifest {digest} from {_upstream.ControlUrl} does not match its digest");
        }
        var layers = ManifestDocument.Parse(response.Body, out var error)
            ?? throw new UpstreamException($"manifest {digest} from {_upstream.ControlUrl} is invalid: {error}");
        // The recipes of the manifest's own blob and of every layer, all at once (a model may have hundreds of files).
        var recipes = await Task.WhenAll(layers.Select(l => l.Digest).Prepend(digest).Distinct(StringComparer.Ordinal)
            .Select(async d => (Digest: d, Blob: await _content.GetBlobAsync(d, _stopping.Token))));
        if (recipes.FirstOrDefault(r => r.Blob is null) is { Digest: { } missing })
        {
            throw new UpstreamException($"{_upstream.ControlUrl} has manifest {digest} but not blob {missing}");
        }
        var self = recipes[0].Blob!;
        var added = await _catalog.AddManifestAsync("tier", new BlobRecord
        {
            Digest = digest,
            Size = self.Size,
            MediaType = BlobCatalog.ManifestMediaType,
            Recipe = [],
        }, Encoding.UTF8.GetString(response.Body), layers);
        if (!added.IsOk)
        {
            throw new InvalidOperationException($"recording manifest {digest}: {added.Detail}");
        }
        return true;
    }

    /// <summary>The artifact digest of a version (cached forever: versions are immutable).</summary>
    public async Task<string?> VersionDigestAsync(string model, long version, CancellationToken ct)
    {
        if (_versions.TryGetValue((model, version), out var known))
        {
            return known;
        }
        var path = $"/v1/models/{model}/versions/{version.ToString(CultureInfo.InvariantCulture)}";
        var response = _immutable.TryGetValue(path, out var cached) ? cached.Response : await _upstream.GetAsync(path, ct);
        if (response.Status != 200)
        {
            return null;
        }
        _immutable[path] = new Cached(response, _time.GetUtcNow());
        using var doc = JsonDocument.Parse(response.Body);
        var digest = doc.RootElement.GetProperty("artifact_digest").GetString()!;
        _versions[(model, version)] = digest;
        return digest;
    }

    /// <summary>The version an alias points to now, through the resolve cache.</summary>
    public async Task<long?> ResolveVersionAsync(string model, string alias, CancellationToken ct)
    {
        var response = await _upstream.GetAsync($"/v1/models/{model}/aliases/{alias}", ct, noCache: true);
        if (response.Status != 200 || !TryReadVersion(response.Body, out var version, out var digest))
        {
            return null;
        }
        _versions[(model, version)] = digest;
        return version;
    }

    /// <summary>Starts fetching every blob of a version's artifact; returns its digest, or null when upstream has no such version.</summary>
    public async Task<string?> PrewarmAsync(string model, long version, CancellationToken ct)
    {
        if (await VersionDigestAsync(model, version, ct) is not { } digest || !await EnsureManifestAsync(digest, ct))
        {
            return null;
        }
        foreach (var blob in await ArtifactBlobsAsync(digest, ct))
        {
            _ = _content.FillAsync(blob);
        }
        Log.Prewarming(_log, model, version, digest);
        return digest;
    }

    /// <summary>The manifest's own blob and its layers' blobs.</summary>
    public async Task<List<TierBlob>> ArtifactBlobsAsync(string digest, CancellationToken ct)
    {
        var blobs = new List<TierBlob>();
        if (await _content.GetBlobAsync(digest, ct) is { } self)
        {
            blobs.Add(self);
        }
        foreach (var layer in _catalog.GetManifest(digest)?.Layers ?? [])
        {
            if (await _content.GetBlobAsync(layer.Digest, ct) is { } blob)
            {
                blobs.Add(blob);
            }
        }
        return blobs;
    }

    /// <summary>What this tier holds of a version.</summary>
    public async Task<TierVersion?> VersionStatusAsync(string model, long version, CancellationToken ct)
    {
        if (await VersionDigestAsync(model, version, ct) is not { } digest || !await EnsureManifestAsync(digest, ct))
        {
            return null;
        }
        // The layers' bytes (the manifest itself is kept in the catalog).
        long bytes = 0, held = 0;
        foreach (var layer in _catalog.GetManifest(digest)?.Layers ?? [])
        {
            if (await _content.GetBlobAsync(layer.Digest, ct) is { } blob)
            {
                bytes += blob.Size;
                held += _content.HeldBytes(blob);
            }
        }
        return new TierVersion(model, version, digest, bytes, held, held == bytes);
    }

    private static bool TryReadVersion(byte[] body, out long version, out string digest)
    {
        version = 0;
        digest = "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("version", out var v) && doc.RootElement.TryGetProperty("artifact_digest", out var d))
            {
                version = v.GetInt64();
                digest = d.GetString() ?? "";
                return digest.Length > 0;
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    // ---- authentication ----------------------------------------------------------------------------------------

    /// <summary>
    /// At start: asks the upstream who this tier's token is, and where its data plane is. A rejected
    /// <c>tier.upstream_token</c> is said in the log at once rather than at the first client's request; the upstream
    /// has checked (and cached) the token, and this tier knows where to fetch chunks, before the first client needs
    /// either (each would otherwise be a round trip in front of the first cold read).
    /// </summary>
    private async Task CheckUpstreamTokenAsync()
    {
        // The upstream may still be starting (a tree is often started all at once): try again for a while.
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 0; attempt < 30 && !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                var response = await _upstream.GetAsync("/v1/whoami", _stopping.Token);
                if (response.Status is 401 or 403)
                {
                    Log.UpstreamTokenRejected(_log, _upstream.ControlUrl, response.Status);
                }
                await _upstream.DataUrlAsync(_stopping.Token);
                return;
            }
            catch (UpstreamException)
            {
                // Unreachable for now (the event follower reports that), or no data URL yet: the first read asks again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await Task.Delay(delay, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>
    /// Checks a client's token with the upstream (<c>GET /v1/whoami</c>), cached; stale answers are used while it is down.
    /// A good token checked longer ago than the TTL, but within <see cref="TokenRefreshWindow"/>, is answered from
    /// memory while it is checked again in the background (as on the data plane): a revocation arrives on the event
    /// stream at once, and the re-check bounds it when events do not flow, without a round trip in front of a request.
    /// </summary>
    public async ValueTask<Principal?> AuthenticateAsync(string token)
    {
        var key = TokenKey(token);
        var now = _time.GetUtcNow();
        if (_tokens.TryGetValue(key, out var known))
        {
            var age = now - known.At;
            if (age < (known.Principal is null ? BadTokenTtl : TokenTtl))
            {
                return known.Principal;
            }
            if (known.Principal is not null && age < TokenRefreshWindow)
            {
                RecheckInBackground(token, key);
                return known.Principal;
            }
        }
        try
        {
            return await CheckOnce(token, key);
        }
        catch (UpstreamException) when (known.Principal is not null && now - known.At < TimeSpan.FromSeconds(_options.MaxStaleSeconds))
        {
            return known.Principal; // upstream down: a token seen valid recently stays valid for the stale window
        }
    }

    /// <summary>One upstream check per token at a time, however many requests carry it.</summary>
    private Task<Principal?> CheckOnce(string token, string key) => SingleFlight.Run(_tokenChecks, key, () => CheckTokenAsync(token, key));

    private async Task<Principal?> CheckTokenAsync(string token, string key)
    {
        var now = _time.GetUtcNow();
        var response = await _upstream.GetAsync("/v1/whoami", _stopping.Token, "Bearer " + token);
        Principal? principal = null;
        if (response.Status == 200)
        {
            using var doc = JsonDocument.Parse(response.Body);
            var root = doc.RootElement;
            Principal.TryParseRoles(root.GetProperty("roles").EnumerateArray().Select(r => r.GetString() ?? ""), out var roles, out _);
            principal = new Principal(root.GetProperty("token_id").GetString() ?? "", root.GetProperty("name").GetString() ?? "",
                roles, root.GetProperty("models").GetString() ?? "*");
        }
        else if (response.Status is not (401 or 403))
        {
            throw new UpstreamException($"/v1/whoami answered {response.Status}");
        }
        if (principal is not null && _revokedTokenIds.ContainsKey(principal.TokenId))
        {
            principal = null;
        }
        _tokens[key] = (principal, now);
        return principal;
    }

    /// <summary>
    /// For the data plane (which must not block): tokens already checked. One checked longer ago than the TTL is still
    /// answered from memory while it is checked again in the background, so a revocation reaches this tier's data plane
    /// within about ten seconds. An unknown token is <see cref="IsUnknownToken"/>: the data plane awaits its check.
    /// </summary>
    public bool AllowsCached(string token)
    {
        var key = TokenKey(token);
        if (!_tokens.TryGetValue(key, out var known))
        {
            return false;
        }
        if (_time.GetUtcNow() - known.At >= (known.Principal is null ? BadTokenTtl : TokenTtl))
        {
            RecheckInBackground(token, key);
        }
        return known.Principal is { } p && p.Allows(Roles.Read, null);
    }

    /// <summary>Checks a token upstream again, off the request's path (once however many requests carry it).</summary>
    private void RecheckInBackground(string token, string key)
    {
        if (_tokenChecks.ContainsKey(key))
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await CheckOnce(token, key);
            }
            catch (UpstreamException)
            {
                // Unreachable: the cached answer stands (for the stale window); the next request tries again.
            }
        });
    }

    /// <summary>
    /// A token revoked upstream (seen on the event stream): refused from now on, even if a tier above that has not seen
    /// the event yet still vouches for it.
    /// </summary>
    private void ForgetToken(string tokenId)
    {
        _revokedTokenIds[tokenId] = 0;
        foreach (var (key, known) in _tokens)
        {
            if (known.Principal?.TokenId == tokenId)
            {
                _tokens[key] = (null, _time.GetUtcNow());
            }
        }
    }

    /// <summary>True for a token this tier has not checked with its upstream yet.</summary>
    public bool IsUnknownToken(string token) => !_tokens.ContainsKey(TokenKey(token));

    private static string TokenKey(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    // ---- following upstream events --------------------------------------------------------------------------------

    private async Task FollowEventsAsync()
    {
        long? after = null;
        var failures = 0;
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (after is null)
                {
                    var head = await _upstream.GetAsync("/v1/events?limit=1", ct);
                    if (head.Status != 200 || !long.TryParse(head.Header("X-Arca-Last-Seq"), NumberStyles.None, CultureInfo.InvariantCulture, out var last))
                    {
                        throw new UpstreamException($"/v1/events answered {head.Status} (is tier.upstream_token valid?)");
                    }
                    after = last;
                    MarkFollowing();
                }
                var response = await _upstream.GetAsync($"/v1/events?after={after}&limit=500&wait=25", ct,
                    timeout: TimeSpan.FromSeconds(60));
                if (response.Status != 200)
                {
                    throw new UpstreamException($"/v1/events answered {response.Status}");
                }
                MarkFollowing();
                failures = 0;
                using var doc = JsonDocument.Parse(response.Body);
                foreach (var e in doc.RootElement.GetProperty("events").EnumerateArray())
                {
                    OnEvent(e);
                }
                after = doc.RootElement.GetProperty("next").GetInt64();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is UpstreamException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                if (FollowingEvents || failures == 0)
                {
                    Log.EventsLost(_log, _upstream.ControlUrl, e.Message);
                }
                FollowingEvents = false;
                failures++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * failures)), _time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void MarkFollowing()
    {
        if (FollowingEvents)
        {
            return;
        }
        // Resolves cached while the stream was down may have missed moves: revalidate them all.
        foreach (var entry in _resolves.Values)
        {
            entry.Invalidated = true;
        }
        FollowingEvents = true;
        Log.FollowingEvents(_log, _upstream.ControlUrl);
    }

    private void OnEvent(JsonElement e)
    {
        var type = e.GetProperty("type").GetString();
        if (type == "token.revoked" && e.TryGetProperty("payload", out var revoked)
            && revoked.TryGetProperty("id", out var id) && id.GetString() is { } tokenId)
        {
            ForgetToken(tokenId);
            return;
        }
        if (type is not ("alias.moved" or "alias.deleted") || !e.TryGetProperty("payload", out var payload))
        {
            return;
        }
        var model = payload.GetProperty("model").GetString()!;
        var alias = payload.GetProperty("alias").GetString()!;
        if (_resolves.TryGetValue($"/v1/models/{model}/aliases/{alias}", out var cached))
        {
            cached.Invalidated = true;
        }
        if (type == "alias.moved" && payload.TryGetProperty("to_version", out var to) && to.ValueKind == JsonValueKind.Number
            && _options.PrewarmGlobs.Any(g => Glob.IsMatch(g, model + "@" + alias)))
        {
            var version = to.GetInt64();
            _ = Task.Run(async () =>
            {
                try
                {
                    await PrewarmAsync(model, version, _stopping.Token);
                }
                catch (Exception ex) when (ex is UpstreamException or OperationCanceledException or InvalidOperationException)
                {
                    Log.PrewarmFailed(_log, model, version, ex.Message);
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _follower.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private sealed class Cached(UpstreamResponse response, DateTimeOffset at)
    {
        public UpstreamResponse Response { get; } = response;
        public DateTimeOffset At { get; } = at;
        public volatile bool Invalidated;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ServingStale, Level = LogLevel.Warning, Message = "upstream unreachable; serving {Path} stale ({Age} s old): {Reason}")]
        public static partial void ServingStale(ILogger logger, string path, long age, string reason);

        [LoggerMessage(EventId = LogEvents.FollowingEvents, Level = LogLevel.Information, Message = "following the event stream of {Upstream}")]
        public static partial void FollowingEvents(ILogger logger, string upstream);

        [LoggerMessage(EventId = LogEvents.UpstreamTokenRejected, Level = LogLevel.Error,
            Message = "{Upstream} rejects tier.upstream_token ({Status}): reads that need the upstream will fail until it is fixed")]
        public static partial void UpstreamTokenRejected(ILogger logger, string upstream, int status);

        [LoggerMessage(EventId = LogEvents.EventsLost, Level = LogLevel.Warning, Message = "lost the event stream of {Upstream} ({Reason}); resolves fall back to their TTL; retrying")]
        public static partial void EventsLost(ILogger logger, string upstream, string reason);

        [LoggerMessage(EventId = LogEvents.Prewarming, Level = LogLevel.Information, Message = "pre-warming {Model}:{Version} ({Digest})")]
        public static partial void Prewarming(ILogger logger, string model, long version, string digest);

        [LoggerMessage(EventId = LogEvents.PrewarmFailed, Level = LogLevel.Warning, Message = "pre-warming {Model}:{Version} failed: {Reason}")]
        public static partial void PrewarmFailed(ILogger logger, string model, long version, string reason);
    }
}
