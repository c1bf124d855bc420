using System.Buffers.Binary;
using Arca.Storage.Index;

namespace Arca.Storage.Tests.Index;

public sealed class FasterChunkIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-index-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ChunkDigest Key(int i)
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, i);
        return ChunkDigest.Of(bytes);
    }

    [Fact]
    public async Task MoreEntriesThanFitInMemory_AreReadBackFromDisk_AndSurviveReopen()
    {
        const int count = 600_000; // ~34 MB of records: well past an in-memory log of 4 MiB
        await using (var index = FasterChunkIndex.Open(_dir, memoryBytes: 4 << 20))
        {
            for (var i = 0; i < count; i++)
            {
                index.Put(Key(i), new ChunkLocation(i % 7 + 1, i % 4096 + 1, i * 10L));
            }
            for (var i = 0; i < count; i += 997)
            {
                Assert.True(index.TryGet(Key(i), out var l), $"entry {i}");
                Assert.Equal(new ChunkLocation(i % 7 + 1, i % 4096 + 1, i * 10L), l);
            }
            Assert.False(index.TryGet(Key(-1), out _));
            Assert.True(index.LookupsMayWait); // records were evicted to the log file
        }
        await using var reopened = FasterChunkIndex.Open(_dir, memoryBytes: 4 << 20);
        Assert.True(reopened.Recovered);
        for (var i = 0; i < count; i += 1009)
        {
            Assert.True(reopened.TryGet(Key(i), out var l), $"entry {i} after reopen");
            Assert.Equal(i * 10L, l.Offset);
        }
    }

    [Fact]
    public async Task TheHashTable_IsSizedForTheExpectedEntries_GrowsAtOpen_AndKeepsItsSizeAcrossReopens()
    {
        await using (var small = FasterChunkIndex.Open(_dir))
        {
            Assert.Equal(1L << 16, small.Buckets);
            Assert.False(small.LookupsMayWait);
            Assert.Equal(4096, small.EntriesPerCheckpoint);
            for (var i = 0; i < 50_000; i++)
            {
                small.Put(Key(i), new ChunkLocation(1, 100, i * 100L));
            }
            Assert.False(small.LookupsMayWait); // 2.8 MB of records, all in memory
        }
        // The store now expects 4 M chunks (its packs grew, or a big store was copied in): the table grows at open.
        await using (var grown = FasterChunkIndex.Open(_dir, expectedEntries: 4_000_000))
        {
            Assert.True(grown.Recovered);
            Assert.Equal(1L << 20, grown.Buckets);
            Assert.Equal((1 << 20) / 16, grown.EntriesPerCheckpoint);
            for (var i = 0; i < 50_000; i += 7)
            {
                Assert.True(grown.TryGet(Key(i), out var l), $"entry {i} after growing");
                Assert.Equal(i * 100L, l.Offset);
            }
            grown.Put(Key(-5), new ChunkLocation(2, 7, 77));
        }
        // Reopened without a hint: the recovered table keeps its size (it never shrinks below what was checkpointed).
        await using var again = FasterChunkIndex.Open(_dir);
        Assert.Equal(1L << 20, again.Buckets);
        Assert.True(again.TryGet(Key(-5), out var added));
        Assert.Equal(new ChunkLocation(2, 7, 77), added);
        Assert.True(again.TryGet(Key(49_999), out _));
        Assert.False(again.TryGet(Key(50_000), out _));
    }

    [Fact]
    public async Task ATableOverfilledSinceOpen_IsDoubledAtTheNextCheckpoint_WhileLookupsGoOn()
    {
        const int count = 600_000; // more than twice the four entries per bucket of the 65,536-bucket table
        await using (var index = FasterChunkIndex.Open(_dir))
        {
            Assert.Equal(1L << 16, index.Buckets);
            for (var i = 0; i < count; i++)
            {
                index.Put(Key(i), new ChunkLocation(3, 10, i));
            }
            using var stop = new CancellationTokenSource();
            var misses = 0;
            var reader = Task.Run(() =>
            {
                var random = new Random(5);
                while (!stop.IsCancellationRequested)
                {
                    var i = random.Next(count);
                    if (!index.TryGet(Key(i), out var l) || l.Offset != i)
                    {
                        Interlocked.Increment(ref misses);
                    }
                }
            });
            await index.CheckpointAsync();
            await stop.CancelAsync();
            await reader;
            Assert.Equal(1L << 18, index.Buckets); // doubled until four per bucket
            Assert.Equal(0, misses);
            for (var i = 0; i < count; i += 101)
            {
                Assert.True(index.TryGet(Key(i), out var l), $"entry {i} after growing");
                Assert.Equal(i, l.Offset);
            }
        }
        await using var reopened = FasterChunkIndex.Open(_dir);
        Assert.Equal(1L << 18, reopened.Buckets);
        Assert.True(reopened.TryGet(Key(count - 1), out _));
    }

    [Fact]
    public async Task CreateEmpty_SizesTheTableForARebuild()
    {
        await using var index = FasterChunkIndex.CreateEmpty(_dir, expectedEntries: 1_000_000);
        Assert.Equal(1L << 18, index.Buckets);
    }

    [Theory]
    [InlineData(0, 1L << 16)]
    [InlineData(100_000, 1L << 16)]
    [InlineData(1_000_000, 1L << 18)]
    [InlineData(10_000_000, 1L << 22)]
    [InlineData(long.MaxValue / 2, 1L << 24)]
    public void Buckets_AreAboutAQuarterOfTheEntries_WithinBounds(long entries, long buckets) =>
        Assert.Equal(buckets, FasterChunkIndex.BucketsFor(entries));

    [Theory]
    [InlineData(1L << 30, 30)]
    [InlineData((1L << 30) + 12345, 30)]
    [InlineData(3L << 29, 30)]
    [InlineData(4L << 20, 22)]
    [InlineData(1, 22)]
    public void MemoryBudget_IsAPowerOfTwoRoundedDown_AtLeastFourPages(long bytes, int bits) =>
        Assert.Equal(bits, FasterChunkIndex.MemoryBits(bytes));
}
