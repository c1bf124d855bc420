using System.Collections.Concurrent;
using System.Text.Json;
using Arca.DataPlane;
using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Tier;

/// <summary>
/// What a tier's data plane serves: any blob or chunk of the upstream, read through at chunk granularity. A cold blob
/// costs one recipe fetch; its bytes then stream to the client chunk by chunk as each one is verified and stored
/// (cut-through), with a read-ahead window fetching the next chunks meanwhile. Clients at other offsets and range
/// requests simply wait for the chunks they need; every chunk is fetched once however many wait for it.
/// </summary>
public sealed partial class TierContent(TierChunkCache cache, ChunkFetcher fetcher, Upstream upstream, BlobCatalog catalog,
    TierCounters counters, int readAhead, ILogger log) : IContentSource
{
    private readonly TierChunkCache _cache = cache;
    private readonly ChunkFetcher _fetcher = fetcher;
    private readonly TierCounters _counters = counters;

    private const int MaxCachedBlobs = 4096;
    private readonly ConcurrentDictionary<string, TierBlob> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<TierBlob?>> _recipeFetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _fills = new(StringComparer.Ordinal);

    public TierChunkCache Cache => _cache;

    public bool ResolvesMisses => true;

    /// <summary>Blobs being filled in the background now (pre-warming).</summary>
    public IEnumerable<TierBlob> Filling => _fills.Keys.Select(d => _blobs.TryGetValue(d, out var b) ? b : null).OfType<TierBlob>();

    public ContentLayout? Lookup(ContentKind kind, string hexDigest)
    {
        var digest = "sha256:" + hexDigest;
        if (kind == ContentKind.Chunk)
        {
            var chunk = ChunkDigest.Parse(digest);
            return _cache.Store.TryLocate(chunk, out var location) ? ChunkLayout(chunk, location.Length) : null;
        }
        return KnownBlob(digest) is { } blob ? BlobLayout(blob) : null;
    }

    public async ValueTask<ContentLayout?> LookupMissAsync(ContentKind kind, string hexDigest, bool repair, CancellationToken ct)
    {
        var digest = "sha256:" + hexDigest;
        if (kind == ContentKind.Chunk)
        {
            var chunk = ChunkDigest.Parse(digest);
            var bad = repair && _cache.Contains(chunk) && !_cache.Verify(chunk);
            try
            {
                await _fetcher.EnsureAsync(chunk, repair: bad).ConfigureAwait(false);
            }
            catch (KeyNotFoundException)
            {
                return null;
            }
            return _cache.Store.TryLocate(chunk, out var location) ? ChunkLayout(chunk, location.Length) : null;
        }
        return await GetBlobAsync(digest, ct, prefetch: true).ConfigureAwait(false) is { } blob ? BlobLayout(blob) : null;
    }

    /// <summary>
    /// A cold blob's request waits for its token check: its recipe is fetched meanwhile, with a prefetch hint vouched for
    /// by the request's token (the upstream starts fetching the blob only once that token checks out there, so a refused
    /// token costs the tiers above a recipe, never bytes). Its chunks are asked for here once the token is good.
    /// </summary>
    public void PrepareMiss(ContentKind kind, string hexDigest, string bearerToken)
    {
        var digest = "sha256:" + hexDigest;
        if (kind != ContentKind.Blob || _blobs.ContainsKey(digest))
        {
            return;
        }
        _ = Prepare();

        // Not a thread-pool hop: the recipe request goes out from here, at the first await inside.
        async Task Prepare()
        {
            try
            {
                await GetBlobAsync(digest, CancellationToken.None, prefetch: true, vouch: bearerToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is UpstreamException or HttpRequestException or InvalidOperationException or JsonException)
            {
                // The request itself looks again after its token check, and reports what it finds.
            }
        }
    }

    /// <summary>
    /// The blob's recipe, from memory, the local catalog, or the upstream (then recorded locally). Null: upstream has no
    /// such blob. <paramref name="prefetch"/>: its bytes are read next, so the upstream may start fetching them now
    /// (if <paramref name="vouch"/> is given: once that client token checks out upstream).
    /// </summary>
    public async Task<TierBlob?> GetBlobAsync(string digest, CancellationToken ct, bool prefetch = false, string? vouch = null)
    {
        if (KnownBlob(digest) is { } known)
        {
            return known;
        }
        // One fetch per blob however many ask at once.
        var fetch = SingleFlight.Run(_recipeFetches, digest, () => FetchRecipeAsync(digest, prefetch, vouch));
        return await fetch.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Fetches every missing chunk of a blob in the background (pre-warming); one fill per blob at a time.</summary>
    public Task FillAsync(TierBlob blob)
    {
        Remember(blob);
        return _fills.GetOrAdd(blob.Digest, key => Task.Run(async () =>
        {
            try
            {
                // Ranged runs of the whole blob, two at a time, then wait for every chunk (runs hand failures on to
                // single-chunk fetches, which retry until the fill timeout).
                var runs = Enumerable.Range(0, (blob.Chunks.Length + readAhead - 1) / readAhead).Select(r => r * readAhead);
                await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = 2 },
                    async (first, _) => await _fetcher.StartRun(blob, first, readAhead).ConfigureAwait(false)).ConfigureAwait(false);
                await Task.WhenAll(blob.Chunks.Select(c => _fetcher.EnsureAsync(c, countWait: false))).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or KeyNotFoundException or OperationCanceledException)
            {
                Log.FillFailed(log, blob.Digest, e.Message);
            }
            finally
            {
                _fills.TryRemove(key, out var _);
            }
        }));
    }

    /// <summary>
    /// A client asked for download URLs: it is about to read these blobs from the start, so their first ranged run
    /// starts now, while it is still on its way to the data plane.
    /// </summary>
    public void Anticipate(TierBlob blob) => ReadAhead(blob, 0);

    /// <summary>Bytes of the blob held here now.</summary>
    public long HeldBytes(TierBlob blob)
    {
        long held = 0;
        for (var i = 0; i < blob.Chunks.Length; i++)
        {
            if (_cache.Contains(blob.Chunks[i]))
            {
                held += blob.Lengths[i];
            }
        }
        return held;
    }

    private TierBlob? KnownBlob(string digest)
    {
        if (_blobs.TryGetValue(digest, out var blob))
        {
            return blob;
        }
        if (catalog.Get(digest) is { } record)
        {
            return Remember(TierBlob.From(record.Digest, record.Size, Recipe.Decode(record.Recipe), record));
        }
        return null;
    }

    private TierBlob Remember(TierBlob blob)
    {
        if (_blobs.Count >= MaxCachedBlobs)
        {
            _blobs.Clear();
        }
        _blobs[blob.Digest] = blob;
        return blob;
    }

    private async Task<TierBlob?> FetchRecipeAsync(string digest, bool prefetch, string? vouch)
    {
        KeyValuePair<string, string>[]? hints = !prefetch ? null
            : vouch is null ? [new(TierGateway.PrefetchHeader, "1")]
            : [new(TierGateway.PrefetchHeader, "1"), new(TierGateway.PrefetchForHeader, vouch)];
        var response = await upstream.GetAsync($"/v1/blobs/{digest}/recipe", CancellationToken.None, extraHeaders: hints).ConfigureAwait(false);
        if (response.Status == 404)
        {
            return null;
        }
        if (response.Status != 200)
        {
            throw new UpstreamException($"{upstream.ControlUrl}/v1/blobs/{digest}/recipe: {response.Status} (is tier.upstream_token valid?)");
        }
        using var doc = JsonDocument.Parse(response.Body);
        var root = doc.RootElement;
        var chunks = new List<ChunkRef>();
        foreach (var c in root.GetProperty("chunks").EnumerateArray())
        {
            chunks.Add(new ChunkRef(ChunkDigest.Parse(c.GetProperty("digest").GetString()!), c.GetProperty("length").GetInt32()));
        }
        var size = root.GetProperty("size").GetInt64();
        var record = new BlobRecord { Digest = digest, Size = size, MediaType = "application/octet-stream", Recipe = Recipe.Encode(chunks) };
        var blob = TierBlob.From(digest, size, chunks, record);
        // Recorded locally too, so the tier knows the blob after a restart. Not awaited: the commit (a hand-off to the
        // metadata writer's thread and a SQLite transaction) stays off the path of the cold requests waiting for this
        // recipe, here and at every tier below, which are answered from memory meanwhile (TierBlob.Record). The write
        // is queued before this returns, so a manifest naming the blob, recorded later, always finds its row: the
        // metadata writer commits in queue order.
        _ = RecordAsync(record);
        return Remember(blob);
    }

    private async Task RecordAsync(BlobRecord record)
    {
        try
        {
            var added = await catalog.AddAsync("tier", record).ConfigureAwait(false);
            if (!added.IsOk)
            {
                Log.RecordFailed(log, record.Digest, added.Detail ?? "not recorded");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.RecordFailed(log, record.Digest, e.Message);
        }
    }

    private ContentLayout BlobLayout(TierBlob blob) => new(blob.Size, []) { Fill = new BlobView(this, blob) };

    private ContentLayout ChunkLayout(ChunkDigest chunk, int length) =>
        new(length, []) { Fill = new BlobView(this, new TierBlob(chunk.ToString(), length, [chunk], [0], [length])) };

    /// <summary>One response's view of a blob: acquires (pins) chunks as the data plane sends them.</summary>
    private sealed class BlobView(TierContent owner, TierBlob blob) : IContentFill
    {
        private readonly ConcurrentDictionary<int, int> _pinned = new();

        public IReadOnlyList<long> ChunkStarts => blob.Starts;

        public async ValueTask<ContentExtent> AcquireAsync(int index, CancellationToken ct)
        {
            var digest = blob.Chunks[index];
            var cache = owner._cache;
            if (cache.TryAcquire(digest, out var extent, out var pack))
            {
                owner._counters.Hit();
                _pinned[index] = pack;
                owner.ReadAhead(blob, index + 1);
                return extent;
            }
            owner._counters.Miss();
            Volatile.Write(ref blob.ScanHint, index); // evicted or never fetched: scan from here
            owner.ReadAhead(blob, index);
            var deadline = DateTime.UtcNow + owner._fetcher.FillTimeout;
            for (var attempt = 0; ; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Yield(); // evicted again before we could pin it: never spin on the poller thread
                }
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"chunk {index} of {blob.Digest} did not arrive in time");
                }
                await owner._fetcher.EnsureAsync(digest).WaitAsync(remaining, ct).ConfigureAwait(false);
                // Usually held now; under a tiny capacity it may have been evicted again before we pinned it.
                if (cache.TryAcquire(digest, out extent, out pack))
                {
                    _pinned[index] = pack;
                    return extent;
                }
            }
        }

        public void Release(int index)
        {
            if (_pinned.TryRemove(index, out var pack))
            {
                owner._cache.Release(pack);
            }
        }
    }

    /// <summary>
    /// Keeps a sequential reader ahead with ONE ranged run at a time: the next run (of <c>readAhead</c> chunks, from the
    /// first chunk nobody holds or fetches) starts when what is still on its way ahead of the reader is nearly
    /// delivered, and the lead is capped at twice the window. Two runs side by side would share the link and deliver
    /// the chunk the reader waits for at half the rate.
    /// </summary>
    private void ReadAhead(TierBlob blob, int from)
    {
        const int NearlyDelivered = 4;
        var limit = Math.Min(blob.Chunks.Length, from + 2 * readAhead);
        var frontier = Math.Max(from, Volatile.Read(ref blob.ScanHint));
        var firstNotHeld = -1;
        var onTheirWay = 0;
        for (; frontier < limit && onTheirWay <= NearlyDelivered; frontier++)
        {
            var digest = blob.Chunks[frontier];
            if (_fetcher.IsFetching(digest))
            {
                onTheirWay++;
                firstNotHeld = firstNotHeld < 0 ? frontier : firstNotHeld;
            }
            else if (!_cache.Contains(digest))
            {
                firstNotHeld = firstNotHeld < 0 ? frontier : firstNotHeld;
                break;
            }
        }
        Volatile.Write(ref blob.ScanHint, firstNotHeld < 0 ? frontier : firstNotHeld);
        if (frontier < limit && onTheirWay <= NearlyDelivered)
        {
            _ = _fetcher.StartRun(blob, frontier, readAhead);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.PrewarmFillFailed, Level = LogLevel.Warning, Message = "pre-warming {Digest} stopped: {Reason}")]
        public static partial void FillFailed(ILogger logger, string digest, string reason);

        [LoggerMessage(EventId = LogEvents.RecipeRecordFailed, Level = LogLevel.Warning,
            Message = "recording the recipe of {Digest} locally failed ({Reason}); it is served from memory and fetched again after a restart")]
        public static partial void RecordFailed(ILogger logger, string digest, string reason);
    }
}
