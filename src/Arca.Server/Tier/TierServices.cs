using Arca.Configuration;
using Arca.Metadata;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Tier;

/// <summary>The parts of a seeder or edge: the link upstream, the chunk cache, the fetcher, the content source and the gateway.</summary>
public sealed class TierServices : IAsyncDisposable
{
    private TierServices(Upstream upstream, TierChunkCache cache, ChunkFetcher fetcher, TierContent content, TierCounters counters)
    {
        Upstream = upstream;
        Cache = cache;
        Fetcher = fetcher;
        Content = content;
        Counters = counters;
    }

    public Upstream Upstream { get; }
    public TierChunkCache Cache { get; }
    public ChunkFetcher Fetcher { get; }
    public TierContent Content { get; }
    public TierCounters Counters { get; }

    /// <summary>Set once the control plane is built (it needs the logger and the catalog).</summary>
    public TierGateway Gateway { get; internal set; } = null!;

    public static TierServices Open(ArcaOptions options, ChunkStoreOptions storeOptions, BlobCatalog catalog, TimeProvider time,
        ILoggerFactory loggers)
    {
        var counters = new TierCounters();
        var upstream = new Upstream(options.Upstream, options.UpstreamToken, options.UpstreamDataUrl);
        var cache = TierChunkCache.Open(storeOptions, options.CacheCapacity, counters, loggers.CreateLogger("Arca.Tier.Cache"));
        var fetcher = new ChunkFetcher(cache, upstream, counters, options.FetchConcurrency, TimeSpan.FromSeconds(options.FillTimeoutSeconds),
            time, loggers.CreateLogger("Arca.Tier.Fetch"));
        var content = new TierContent(cache, fetcher, upstream, catalog, counters, Math.Max(2, options.FetchConcurrency * 2),
            loggers.CreateLogger("Arca.Tier.Content"));
        return new TierServices(upstream, cache, fetcher, content, counters);
    }

    public async ValueTask DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
        Fetcher.Dispose();
        Upstream.Dispose();
        await Cache.DisposeAsync();
    }
}
