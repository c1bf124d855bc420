using System.Net;

namespace Arca.Server.Tests.Blobs;

public sealed class BlobAuthorizationTests : IAsyncLifetime
{
    private static readonly byte[] Bytes = BlobFixtures.RandomBytes(100_000, 300);
    private static readonly string Digest = BlobFixtures.Sha256(Bytes);

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await _server.Admin.PutBlobAsync(Bytes);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, HttpMethod method, string path, bool body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body)
        {
            request.Content = BlobFixtures.Octets(Bytes);
        }
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<List<(HttpMethod Method, string Path, bool Body)>> WritesAsync()
    {
        var location = await _server.Admin.StartUploadAsync();
        var manifest = BlobFixtures.Manifest(("m.bin", Digest, Bytes.Length));
        return
        [
            (HttpMethod.Post, "/v1/blobs/uploads", false),
            (HttpMethod.Patch, location, true),
            (HttpMethod.Get, location, false),
            (HttpMethod.Put, $"{location}?digest={Digest}", false),
            (HttpMethod.Delete, location, false),
            (HttpMethod.Put, $"/v1/blobs?digest={Digest}", true),
            (HttpMethod.Put, "/v1/manifests/" + BlobFixtures.Sha256(manifest), false),
        ];
    }

    [Fact]
    public async Task UploadEndpoints_NeedTheWriteRole()
    {
        var reader = _server.Client((await _server.CreateTokenAsync(["read"])).Token);
        var promoter = _server.Client((await _server.CreateTokenAsync(["promote"])).Token);
        var writer = _server.Client((await _server.CreateTokenAsync(["write"])).Token);
        var badToken = _server.Client("arca_definitely-not-a-token");
        var location = await _server.Admin.StartUploadAsync();

        foreach (var (method, path, body) in await WritesAsync())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_server.Anonymous, method, path, body));
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(badToken, method, path, body));
            Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(reader, method, path, body));
            Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(promoter, method, path, body));
        }

        // The session the refused requests named is untouched.
        using (var progress = await _server.Admin.GetAsync(location))
        {
            await progress.ExpectAsync(HttpStatusCode.NoContent);
            Assert.Equal("0", progress.RawHeader("Upload-Offset"));
        }

        // A write token (scoped to a model glob or not) may upload: blobs belong to no model.
        var scoped = _server.Client((await _server.CreateTokenAsync(["write"], "team/*", "scoped-writer")).Token);
        foreach (var client in new[] { writer, scoped })
        {
            var mine = await client.StartUploadAsync();
            using (var patch = await client.PatchAsync(mine, Bytes, "0-99999"))
            {
                await patch.ExpectAsync(HttpStatusCode.Accepted);
            }
            using var put = await client.PutAsync($"{mine}?digest={Digest}", null);
            await put.ExpectAsync(HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task Reads_NeedAToken_AndTheReadRoleSuffices()
    {
        var reader = _server.Client((await _server.CreateTokenAsync(["read"])).Token);
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Head, "/v1/blobs/" + Digest),
            (HttpMethod.Get, $"/v1/blobs/{Digest}/recipe"),
        })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(_server.Anonymous, method, path, false));
            Assert.Equal(HttpStatusCode.OK, await SendAsync(reader, method, path, false));
        }
        using var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(_server.Host.ControlUrl),
            DefaultRequestHeaders = { Authorization = reader.DefaultRequestHeaders.Authorization },
        }.GetAsync("/v1/blobs/" + Digest);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
    }
}
