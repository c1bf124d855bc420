using Arca.DataPlane;
using Arca.Server.Blobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arca.Server.Tests.Blobs;

/// <summary>
/// The origin's data-plane content: the poller thread answers only what costs one lookup (a chunk, a cached blob
/// layout); a blob's first layout (one index lookup per chunk of its recipe) is built off the poller, as a miss.
/// </summary>
public sealed class StoreContentSourceTests : IAsyncLifetime
{
    private static readonly byte[] Content = BlobFixtures.RandomBytes(700_000, 7);
    private static readonly string Digest = BlobFixtures.Sha256(Content);

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await _server.Admin.PutBlobAsync(Content);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private StoreContentSource NewSource() =>
        new(_server.Services.Chunks, _server.Services.BlobCatalog, NullLogger<StoreContentSource>.Instance);

    [Fact]
    public async Task AnUncachedBlob_IsResolvedAsAMiss_ThenServedFromTheCacheOnThePoller()
    {
        var source = NewSource();
        var hex = Digest["sha256:".Length..];
        Assert.True(source.ResolvesMisses);
        Assert.Null(source.Lookup(ContentKind.Blob, hex)); // not on the poller: the recipe's lookups wait for the miss path

        var built = await source.LookupMissAsync(ContentKind.Blob, hex, repair: false, CancellationToken.None);
        Assert.NotNull(built);
        Assert.Equal(Content.Length, built.Length);
        Assert.Equal(Content.Length, built.Extents.Sum(e => e.Length));

        Assert.Same(built, source.Lookup(ContentKind.Blob, hex));
    }

    [Fact]
    public async Task Chunks_AreLookedUpOnThePoller_AndUnknownDigestsAreMissesThatFindNothing()
    {
        var source = NewSource();
        var recipe = await _server.Admin.RecipeAsync(Digest);
        Assert.True(recipe.Length >= 2, "the test blob should span several chunks");
        var chunk = source.Lookup(ContentKind.Chunk, recipe[1].Digest["sha256:".Length..]);
        Assert.NotNull(chunk);
        Assert.Equal(recipe[1].Length, chunk.Length);

        var unknown = new string('a', 64);
        Assert.Null(source.Lookup(ContentKind.Chunk, unknown));
        Assert.Null(source.Lookup(ContentKind.Blob, unknown));
        Assert.Null(await source.LookupMissAsync(ContentKind.Blob, unknown, repair: false, CancellationToken.None));
    }

    [Fact]
    public async Task OnceTheIndexOutgrewItsMemory_ChunksAreLookedUpOffThePoller()
    {
        // 4 MiB of index memory holds about 75,000 entries; 64-256 byte chunks put 90,000 in a 14 MB blob.
        await using var big = await TestServer.StartAsync(o => o with
        {
            IndexMemoryBytes = 4 << 20, ChunkMinBytes = 64, ChunkAvgBytes = 128, ChunkMaxBytes = 256,
        });
        var bytes = BlobFixtures.RandomBytes(14_000_000, 9);
        var digest = BlobFixtures.Sha256(bytes);
        await big.Admin.PutBlobAsync(bytes);
        Assert.True(big.Services.Chunks.LookupsMayWait);
        using (var metrics = await big.Admin.GetAsync("/metrics"))
        {
            Assert.Contains("arca_index_lookups_may_wait{mode=\"origin\"} 1\n", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var source = new StoreContentSource(big.Services.Chunks, big.Services.BlobCatalog, NullLogger<StoreContentSource>.Instance);
        var recipe = await big.Admin.RecipeAsync(digest);
        var hex = recipe[0].Digest["sha256:".Length..];

        Assert.Null(source.Lookup(ContentKind.Chunk, hex)); // not on the poller: the lookup may read from disk
        var chunk = await source.LookupMissAsync(ContentKind.Chunk, hex, repair: false, CancellationToken.None);
        Assert.NotNull(chunk);
        Assert.Equal(recipe[0].Length, chunk.Length);

        // Served through the data plane all the same.
        var url = big.Host.DataUrl + "/chunks/sha256/" + hex;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", big.AdminToken);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes.AsSpan(0, recipe[0].Length).ToArray(), body);
    }
}
