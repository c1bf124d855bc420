using Arca.Server.Tier;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arca.Server.Tests;

/// <summary>
/// The chunk cache of a seeder or edge: bounded by capacity with least-recently-used packs evicted, never a pinned one;
/// a repair check drops a corrupt copy; after an unclean stop every chunk is re-verified before it is served.
/// </summary>
public sealed class TierChunkCacheTests : IDisposable
{
    private const int ChunkBytes = 256 << 10;
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-tiercache-").FullName;
    private readonly TierCounters _counters = new();

    private ChunkStoreOptions StoreOptions => new() { DataDir = _dir };

    private TierChunkCache Open(long capacity) => TierChunkCache.Open(StoreOptions, capacity, _counters, NullLogger.Instance);

    private static (ChunkDigest Digest, byte[] Bytes) Chunk(int seed)
    {
        var bytes = new byte[ChunkBytes];
        new Random(seed).NextBytes(bytes);
        return (ChunkDigest.Of(bytes), bytes);
    }

    [Fact]
    public async Task Stored_chunks_are_served_from_their_pack()
    {
        await using var cache = Open(0);
        var (digest, bytes) = Chunk(1);
        cache.Put(digest, bytes);
        Assert.True(cache.TryAcquire(digest, out var extent, out var pack));
        var read = new byte[extent.Length];
        RandomAccess.Read(extent.File, read, extent.Offset);
        cache.Release(pack);
        Assert.Equal(bytes, read);
        Assert.False(cache.TryAcquire(Chunk(2).Digest, out _, out _));
    }

    [Fact]
    public async Task Over_capacity_the_least_recently_used_packs_go_but_never_a_pinned_one()
    {
        // Capacity 4 MiB: packs of 1 MiB (capacity / 64, at least 1 MiB), i.e. about 4 chunks of 256 KiB each.
        await using var cache = Open(4 << 20);
        var first = Chunk(100);
        cache.Put(first.Digest, first.Bytes);
        Assert.True(cache.TryAcquire(first.Digest, out var extent, out var pinnedPack)); // a transfer is reading it
        var chunks = Enumerable.Range(0, 40).Select(Chunk).ToList();
        foreach (var (digest, bytes) in chunks)
        {
            cache.Put(digest, bytes);
        }
        Assert.True(cache.UsedBytes <= (4 << 20) + (2 << 20), $"{cache.UsedBytes} bytes held");
        var view = _counters.View(0);
        Assert.True(view.Evictions > 0);
        // The pinned chunk survived, readable and still indexed; the oldest unpinned ones are gone; the newest stay.
        Assert.True(cache.Contains(first.Digest));
        var read = new byte[extent.Length];
        RandomAccess.Read(extent.File, read, extent.Offset);
        Assert.Equal(first.Bytes, read);
        // chunks 0–2 share the pinned pack (it takes chunks until sealed at 1 MiB), so they stay with it.
        Assert.True(cache.Contains(chunks[0].Digest));
        Assert.False(cache.Contains(chunks[3].Digest));
        Assert.True(cache.Contains(chunks[^1].Digest));
        cache.Release(pinnedPack);
        foreach (var (digest, bytes) in Enumerable.Range(40, 20).Select(Chunk))
        {
            cache.Put(digest, bytes);
        }
        Assert.False(cache.Contains(first.Digest)); // released: now it may go
    }

    [Fact]
    public async Task A_repair_check_drops_a_corrupt_copy()
    {
        var (digest, bytes) = Chunk(7);
        await using (var cache = Open(0))
        {
            cache.Put(digest, bytes);
            Assert.True(cache.Verify(digest));
            Corrupt(digest, cache);
            Assert.False(cache.Verify(digest));
            Assert.False(cache.Contains(digest));
            Assert.Equal(1, _counters.View(0).VerificationFailures);
            cache.Put(digest, bytes); // fetched again
            Assert.True(cache.Verify(digest));
        }
    }

    [Fact]
    public async Task After_an_unclean_stop_corrupt_chunks_are_dropped_and_after_a_clean_one_all_are_kept()
    {
        var good = Chunk(1);
        var bad = Chunk(2);
        await using (var cache = Open(0))
        {
            cache.Put(good.Digest, good.Bytes);
            cache.Put(bad.Digest, bad.Bytes);
        }
        // Clean stop: the marker is there; reopening keeps both (no re-hash needed).
        Assert.True(File.Exists(Path.Combine(_dir, "chunks", "CLEAN")));
        await using (var cache = Open(0))
        {
            Assert.True(cache.Contains(good.Digest) && cache.Contains(bad.Digest));
            Corrupt(bad.Digest, cache);
        }
        // Unclean stop (no marker: as after a crash, when unsynced writes may be torn): every chunk is re-hashed.
        File.Delete(Path.Combine(_dir, "chunks", "CLEAN"));
        await using (var cache = Open(0))
        {
            Assert.True(cache.Contains(good.Digest));
            Assert.False(cache.Contains(bad.Digest));
        }
    }

    private static void Corrupt(ChunkDigest digest, TierChunkCache cache)
    {
        Assert.True(cache.TryAcquire(digest, out var extent, out var pack));
        cache.Release(pack);
        var one = new byte[1];
        RandomAccess.Read(extent.File, one, extent.Offset + 100);
        one[0] ^= 0xff;
        RandomAccess.Write(extent.File, one, extent.Offset + 100);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
