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

    [Fact]
    public async Task Metrics_ShowTheIndexEntriesBucketsBudget_AndWhetherLookupsMayWait()
    {
        await using var server = await TestServer.StartAsync(o => o with { IndexMemoryBytes = 8 << 20 });
        var bytes = BlobFixtures.RandomBytes(2_000_000, 31);
        await server.Admin.PutBlobAsync(bytes);
        var chunks = (await server.Admin.RecipeAsync(BlobFixtures.Sha256(bytes))).Length;

        using var response = await server.Admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"arca_index_entries{{mode=\"origin\"}} {chunks}\n", text, StringComparison.Ordinal);
        Assert.Contains("arca_index_buckets{mode=\"origin\"} 65536\n", text, StringComparison.Ordinal);
        Assert.Contains($"arca_index_memory_budget_bytes{{mode=\"origin\"}} {8 << 20}\n", text, StringComparison.Ordinal);
        Assert.Contains("arca_index_lookups_may_wait{mode=\"origin\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE arca_index_entries gauge\n", text, StringComparison.Ordinal);
    }
}
