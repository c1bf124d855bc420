using System.Net;

namespace Arca.Server.Tests.Blobs;

/// <summary>Blobs survive restarts of the host, including after a crash left odd files in the data directory.</summary>
public sealed class StoreRecoveryTests
{
    [Fact]
    public async Task Restart_KeepsBlobsServable_AndDeduplicatesAgainstThem()
    {
        await using var server = await TestServer.StartAsync();
        var bytes = BlobFixtures.RandomBytes(600_000, 400);
        await server.Admin.PutBlobAsync(bytes);
        await server.RestartAsync();
        await AssertServedAsync(server, bytes);
        Assert.Equal(0, (await server.Admin.PutBlobAsync(bytes)).Long("new_bytes"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public async Task PackCreatedJustBeforeACrash_WithoutItsHeader_DoesNotLoseLaterBlobsAtTheNextRestart(int tornLength)
    {
        // A crash between creating a pack file and writing its 16-byte header leaves it empty or torn.
        await using var server = await TestServer.StartAsync(o =>
        {
            var shards = Path.Combine(o.DataDir, "chunks", "shards");
            Directory.CreateDirectory(shards);
            File.WriteAllBytes(Path.Combine(shards, "00000001.pack"), new byte[tornLength]);
            return o;
        });
        var bytes = BlobFixtures.RandomBytes(700_000, 401);
        await server.Admin.PutBlobAsync(bytes);
        await AssertServedAsync(server, bytes);

        await server.RestartAsync();
        await AssertServedAsync(server, bytes);
        await server.RestartAsync();
        await AssertServedAsync(server, bytes);
    }

    private static async Task AssertServedAsync(TestServer server, byte[] bytes)
    {
        var digest = BlobFixtures.Sha256(bytes);
        using var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(server.Host.ControlUrl),
            DefaultRequestHeaders = { Authorization = server.Admin.DefaultRequestHeaders.Authorization },
        }.GetAsync("/v1/blobs/" + digest);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        using var data = new HttpClient();
        using var response = await data.GetAsync(redirect.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, BlobFixtures.Sha256(await response.Content.ReadAsByteArrayAsync()));
    }
}
