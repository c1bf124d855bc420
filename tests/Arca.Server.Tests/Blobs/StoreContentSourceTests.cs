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
}
