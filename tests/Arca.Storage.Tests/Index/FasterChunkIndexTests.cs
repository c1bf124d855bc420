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
        const int count = 600_000; // ~34 MB of records: well past the 16 MiB in-memory log
        await using (var index = FasterChunkIndex.Open(_dir))
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
        }
        await using var reopened = FasterChunkIndex.Open(_dir);
        Assert.True(reopened.Recovered);
        for (var i = 0; i < count; i += 1009)
        {
            Assert.True(reopened.TryGet(Key(i), out var l), $"entry {i} after reopen");
            Assert.Equal(i * 10L, l.Offset);
        }
    }
}
