using System.Globalization;
using System.Text;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Arca.Server.Tier;
using Arca.Storage.Index;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>
/// <c>GET /v1/tier/status</c> (what this node holds, its counters), <c>POST /v1/prewarm</c> (fetch a version now),
/// <c>GET /metrics</c> (Prometheus text) and <c>GET /v1/whoami</c> (the caller's token; tiers authorize with it).
/// </summary>
internal sealed class TierEndpoints(ArcaServices s, Access access, Func<long> bytesServed)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/tier/status", Status);
        app.MapPost("/v1/prewarm", Prewarm);
        app.MapGet("/metrics", Metrics);
        app.MapGet("/v1/whoami", WhoAmI);
    }

    private async Task WhoAmI(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is not { } caller)
        {
            return;
        }
        await Exchange.Json(ctx, new WhoAmI(caller.TokenId, caller.Name, Principal.RoleNames(caller.Roles), caller.ModelsGlob),
            ServerJson.Web.WhoAmI);
    }

    private async Task Status(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null)
        {
            return;
        }
        var versions = new List<TierVersion>();
        var model = Exchange.Query(ctx, "model");
        if (model is not null)
        {
            if (await Exchange.QueryIntAsync(ctx, "version", 0, 1, long.MaxValue) is not { } number)
            {
                return;
            }
            if (number == 0)
            {
                await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "?model= needs ?version=");
                return;
            }
            if (await access.RequireAsync(ctx, Roles.Read, model) is null)
            {
                return;
            }
            TierVersion? one;
            try
            {
                one = await VersionStatusAsync(model, number, ctx.RequestAborted);
            }
            catch (UpstreamException e)
            {
                await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
                return;
            }
            if (one is null)
            {
                await Exchange.Problem(ctx, ProblemCode.VersionNotFound, $"{model}:{number} is not known here or upstream");
                return;
            }
            versions.Add(one);
        }
        else if (s.Tier is { } tier)
        {
            foreach (var ((m, v), _) in tier.Gateway.Versions.OrderBy(k => k.Key.Model, StringComparer.Ordinal).ThenBy(k => k.Key.Version))
            {
                try
                {
                    if (await tier.Gateway.VersionStatusAsync(m, v, ctx.RequestAborted) is { } status)
                    {
                        versions.Add(status);
                    }
                }
                catch (UpstreamException)
                {
                    // Not known well enough to report while the upstream is away.
                }
            }
        }
        var fills = s.Tier is { } t
            ? t.Content.Filling.Select(b => new TierFill(b.Digest, b.Size, t.Content.HeldBytes(b))).ToList()
            : [];
        await Exchange.Json(ctx, new TierStatus(s.Options.Mode, s.Tier?.Upstream.ControlUrl, s.Tier?.Upstream.KnownDataUrl, s.Options.CacheCapacity, s.Chunks.Shards.TotalBytes,
            Counters(), versions, fills), ServerJson.Web.TierStatus);
    }

    private TierCountersView Counters() =>
        s.Tier?.Counters.View(bytesServed()) ?? new TierCountersView(bytesServed(), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);

    private async Task<TierVersion?> VersionStatusAsync(string model, long number, CancellationToken ct)
    {
        if (s.Tier is { } tier)
        {
            return await tier.Gateway.VersionStatusAsync(model, number, ct);
        }
        // An origin holds every registered version.
        var version = s.Versions.Get(model, number);
        if (!version.IsOk)
        {
            return null;
        }
        var digest = version.Value.ArtifactDigest;
        var bytes = s.BlobCatalog.GetManifest(digest)?.Layers.Sum(l => l.Size) ?? 0;
        return new TierVersion(model, number, digest, bytes, bytes, true);
    }

    private async Task Prewarm(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null
            || await Exchange.ReadAsync(ctx, ServerJson.Web.PrewarmRequest, s.Options.MaxBodyBytes) is not { } body)
        {
            return;
        }
        if (!Names.IsValidModelName(body.Model) || (body.Version is null) == (body.Alias is null))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "give a valid model and exactly one of version or alias");
            return;
        }
        if (await access.RequireAsync(ctx, Roles.Read, body.Model) is null)
        {
            return;
        }
        try
        {
            var number = body.Version;
            if (body.Alias is { } alias)
            {
                number = s.Tier is { } t ? await t.Gateway.ResolveVersionAsync(body.Model, alias, ctx.RequestAborted)
                    : s.Aliases.Resolve(body.Model, alias) is { IsOk: true } r ? r.Value.Version : null;
                if (number is null)
                {
                    await Exchange.Problem(ctx, ProblemCode.AliasNotFound, $"{body.Model}@{alias} does not resolve");
                    return;
                }
            }
            if (s.Tier is { } tier && await tier.Gateway.PrewarmAsync(body.Model, number!.Value, ctx.RequestAborted) is null)
            {
                await Exchange.Problem(ctx, ProblemCode.VersionNotFound, $"{body.Model}:{number} is not known upstream");
                return;
            }
            if (await VersionStatusAsync(body.Model, number!.Value, ctx.RequestAborted) is not { } status)
            {
                await Exchange.Problem(ctx, ProblemCode.VersionNotFound, $"{body.Model}:{number} does not exist");
                return;
            }
            await Exchange.Json(ctx, status, ServerJson.Web.TierVersion, StatusCodes.Status202Accepted);
        }
        catch (UpstreamException e)
        {
            await Exchange.Problem(ctx, ProblemCode.UpstreamUnavailable, e.Message);
        }
    }

    private async Task Metrics(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null)
        {
            return;
        }
        var c = Counters();
        var text = new StringBuilder();
        void Metric(string family, string name, string help, double value, string type)
        {
            text.Append("# HELP arca_").Append(family).Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE arca_").Append(family).Append(name).Append(' ').Append(type).Append('\n');
            text.Append("arca_").Append(family).Append(name).Append("{mode=\"").Append(s.Options.Mode).Append("\"} ")
                .Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        void Counter(string name, string help, double value, string type = "counter") => Metric("tier_", name, help, value, type);
        Counter("bytes_served_total", "Bytes sent by the data plane.", c.BytesServed);
        Counter("bytes_fetched_upstream_total", "Chunk bytes fetched from the upstream and verified.", c.BytesFetchedUpstream);
        Counter("upstream_fetches_total", "Chunks fetched from the upstream and verified.", c.UpstreamFetches);
        Counter("coalesced_waits_total", "Requests for a missing chunk that joined a fetch already running.", c.CoalescedWaits);
        Counter("verification_failures_total", "Chunks whose bytes did not match their digest (discarded).", c.VerificationFailures);
        Counter("evictions_total", "Chunks evicted from the cache.", c.Evictions);
        Counter("evicted_bytes_total", "Bytes of chunks evicted from the cache.", c.EvictedBytes);
        Counter("cache_hits_total", "Chunk reads served from the cache.", c.CacheHits);
        Counter("cache_misses_total", "Chunk reads that waited for the upstream.", c.CacheMisses);
        Counter("hit_ratio", "cache_hits / (cache_hits + cache_misses).", c.HitRatio, "gauge");
        Counter("upstream_errors_total", "Failed upstream requests (retried).", c.UpstreamErrors);
        Counter("stale_resolves_total", "Alias resolves answered stale because the upstream was unreachable.", c.StaleResolves);
        Counter("used_bytes", "Bytes of chunk packs on disk.", s.Chunks.Shards.TotalBytes, "gauge");
        if (s.Chunks.Index is FasterChunkIndex index)
        {
            void Gauge(string name, string help, double value) => Metric("index_", name, help, value, "gauge");
            Gauge("entries", "Chunks in the chunk index (approximate).", index.Entries);
            Gauge("buckets", "Hash buckets of the chunk index (64 bytes each; doubled past eight entries per bucket).", index.Buckets);
            Gauge("memory_budget_bytes", "storage.index_memory_bytes as applied (a power of two); 56 bytes per entry.", index.MemoryBudgetBytes);
            Gauge("lookups_may_wait", "1 once the index outgrew its memory and lookups may read from disk: raise storage.index_memory_bytes.",
                index.LookupsMayWait ? 1 : 0);
        }
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(text.ToString(), ctx.RequestAborted);
    }
}
