namespace Arca.Server.Tests.Blobs;

/// <summary>The <c>[storage]</c> settings reach the chunk store the server opens.</summary>
public sealed class ChunkStoreSettingsTests
{
    [Fact]
    public async Task IndexMemoryAndPackSeal_ReachTheChunkStore()
    {
        await using var server = await TestServer.StartAsync(o => o with { IndexMemoryBytes = 8 << 20, PackSealBytes = 32 << 20 });
        Assert.Equal(8 << 20, server.Services.Chunks.Options.IndexMemoryBytes);
        Assert.Equal(32 << 20, server.Services.Chunks.Options.PackSealBytes);
        Assert.Equal(1L << 16, Assert.IsType<Arca.Storage.Index.FasterChunkIndex>(server.Services.Chunks.Index).Buckets);
    }
}
