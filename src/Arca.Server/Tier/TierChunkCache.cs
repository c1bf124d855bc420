using Arca.DataPlane;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Tier;

/// <summary>
/// A tier's chunk cache: the same chunk store as an origin (packs + index), filled from upstream, bounded by
/// <c>cache.capacity</c>. Eviction is by pack, least recently used first, and never touches a pack that a transfer has
/// pinned (<see cref="TryAcquire"/> … <see cref="Release"/>). Packs are small (capacity / 64) so this stays close to
/// chunk-grained LRU.
/// <para>
/// Appends are not fsynced (the bytes can always be fetched again); instead a clean stop syncs and leaves a marker, and a
/// start without the marker re-hashes every chunk before serving any (a torn write is dropped, never served).
/// </para>
/// </summary>
public sealed partial class TierChunkCache : IAsyncDisposable
{
    private const string CleanMarker = "CLEAN";

    private readonly ChunkStore _store;
    private readonly TierCounters _counters;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PackInfo> _packs = [];
    private readonly string _markerPath;
    private long _clock;

    private TierChunkCache(ChunkStore store, long capacity, TierCounters counters, ILogger log, string markerPath,
        Dictionary<int, PackInfo> packs)
    {
        _store = store;
        Capacity = capacity;
        _counters = counters;
        _log = log;
        _markerPath = markerPath;
        _packs = packs;
    }

    public long Capacity { get; }

    public long UsedBytes => _store.Shards.TotalBytes;

    public ChunkStore Store => _store;

    /// <summary>Opens the cache; after an unclean stop every chunk is re-verified (and a bad one left out).</summary>
    public static TierChunkCache Open(ChunkStoreOptions options, long capacity, TierCounters counters, ILogger log)
    {
        var seal = capacity > 0 ? Math.Clamp(capacity / 64, 1L << 20, options.PackSealBytes) : options.PackSealBytes;
        options = options with { PackSealBytes = seal };
        var marker = Path.Combine(options.DataDir, "chunks", CleanMarker);
        var clean = File.Exists(marker);
        var packs = new Dictionary<int, PackInfo>();
        var store = ChunkStore.Rebuild(options, verify: !clean, out var corrupt, (digest, location) =>
        {
            if (!packs.TryGetValue(location.Pack, out var info))
            {
                packs[location.Pack] = info = new PackInfo();
            }
            info.Chunks.Add((digest, location.Length));
        });
        store.Shards.SyncWrites = false;
        File.Delete(marker);
        if (corrupt > 0)
        {
            Log.DroppedCorrupt(log, corrupt);
        }
        return new TierChunkCache(store, capacity, counters, log, marker, packs);
    }

    /// <summary>Whether the chunk is held: indexed, in a pack that is still there.</summary>
    public bool Contains(in ChunkDigest digest) =>
        _store.TryLocate(digest, out var location) && _store.PackHandle(location.Pack) is not null;

    /// <summary>Where a held chunk's bytes are, pinned until <see cref="Release"/> with the returned pack.</summary>
    public bool TryAcquire(in ChunkDigest digest, out ContentExtent extent, out int pack)
    {
        lock (_gate)
        {
            if (_store.TryLocate(digest, out var location) && _store.PackHandle(location.Pack) is { } handle)
            {
                var info = Info(location.Pack);
                info.Pins++;
                info.LastUse = ++_clock;
                extent = new ContentExtent(handle, location.Offset, location.Length);
                pack = location.Pack;
                return true;
            }
        }
        extent = default;
        pack = -1;
        return false;
    }

    public void Release(int pack)
    {
        lock (_gate)
        {
            if (_packs.TryGetValue(pack, out var info) && info.Pins > 0)
            {
                info.Pins--;
            }
        }
    }

    /// <summary>Stores a chunk whose digest the caller verified, then evicts if the cache is over capacity.</summary>
    public void Put(in ChunkDigest digest, ReadOnlySpan<byte> bytes)
    {
        if (Contains(digest))
        {
            return;
        }
        // The pack stays leased (so it cannot be evicted) until the chunk is both indexed and recorded as its
        // content: eviction then always finds and forgets every chunk of the packs it deletes.
        using (var writer = _store.Shards.Lease())
        {
            var location = writer.Append(digest, bytes);
            writer.Flush();
            lock (_gate)
            {
                _store.Index.Put(digest, location);
                var info = Info(location.Pack);
                info.Chunks.Add((digest, location.Length));
                info.LastUse = ++_clock;
            }
        }
        EvictIfNeeded();
    }

    /// <summary>Reads a held chunk back and checks it; a bad copy is forgotten (a repair request). False if bad or absent.</summary>
    public bool Verify(in ChunkDigest digest)
    {
        if (!TryAcquire(digest, out var extent, out var pack))
        {
            return false;
        }
        bool good;
        try
        {
            good = digest.MatchesStored(extent.File, extent.Offset, (int)extent.Length);
        }
        finally
        {
            Release(pack);
        }
        if (!good)
        {
            _counters.VerificationFailure();
            Log.DroppedBadChunk(_log, digest.ToString());
            lock (_gate)
            {
                _store.Index.Delete(digest);
            }
        }
        return good;
    }

    private PackInfo Info(int pack)
    {
        if (!_packs.TryGetValue(pack, out var info))
        {
            _packs[pack] = info = new PackInfo();
        }
        return info;
    }

    private void EvictIfNeeded()
    {
        if (Capacity <= 0 || _store.Shards.TotalBytes <= Capacity)
        {
            return;
        }
        var snapshot = _store.Shards.Snapshot();
        var used = snapshot.Sum(p => p.End);
        lock (_gate)
        {
            // Oldest first, skipping packs a writer holds or a transfer has pinned.
            var candidates = snapshot.Where(p => !p.Leased && (!_packs.TryGetValue(p.Id, out var i) || i.Pins == 0))
                .OrderBy(p => _packs.TryGetValue(p.Id, out var i) ? i.LastUse : 0)
                .ToList();
            foreach (var (id, end, _) in candidates)
            {
                if (used <= Capacity - Capacity / 20)
                {
                    break;
                }
                if (!_store.Shards.Retire(id))
                {
                    continue;
                }
                used -= end;
                long chunks = 0, bytes = 0;
                if (_packs.Remove(id, out var info))
                {
                    foreach (var (digest, length) in info.Chunks)
                    {
                        // Only if the index still points into this pack (a repaired chunk may live elsewhere now).
                        if (_store.TryLocate(digest, out var l) && l.Pack == id)
                        {
                            _store.Index.Delete(digest);
                            chunks++;
                            bytes += length;
                        }
                    }
                }
                _counters.Evicted(chunks, bytes);
            }
        }
        if (used > Capacity)
        {
            Log.OverCapacity(_log, used, Capacity);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.Shards.SyncAll();
        await _store.DisposeAsync().ConfigureAwait(false);
        await File.WriteAllTextAsync(_markerPath, "clean stop\n").ConfigureAwait(false);
    }

    private sealed class PackInfo
    {
        public int Pins;
        public long LastUse;
        public List<(ChunkDigest Digest, int Length)> Chunks { get; } = [];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.CacheDroppedCorrupt, Level = LogLevel.Warning, Message = "cache: {Count} chunks failed verification after an unclean stop and were dropped")]
        public static partial void DroppedCorrupt(ILogger logger, long count);

        [LoggerMessage(EventId = LogEvents.CacheDroppedBadChunk, Level = LogLevel.Warning, Message = "cache: chunk {Digest} failed verification on a repair request; dropped, fetching again")]
        public static partial void DroppedBadChunk(ILogger logger, string digest);

        [LoggerMessage(EventId = LogEvents.CacheOverCapacity, Level = LogLevel.Warning,
            Message = "cache: {Used} bytes held, over cache.capacity {Capacity}: everything else is pinned by running transfers")]
        public static partial void OverCapacity(ILogger logger, long used, long capacity);
    }
}
