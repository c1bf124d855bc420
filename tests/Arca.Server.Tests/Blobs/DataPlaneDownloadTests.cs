using System.Globalization;
using System.Net;

namespace Arca.Server.Tests.Blobs;

/// <summary>Bytes reach clients through the data plane only; these tests fetch them with the real curl.</summary>
public sealed class DataPlaneDownloadTests : IAsyncLifetime
{
    private const int Size = 900_000;
    private static readonly byte[] Content = BlobFixtures.RandomBytes(Size, 100);
    private static readonly string ContentDigest = BlobFixtures.Sha256(Content);

    private TestServer _server = null!;
    private (string Digest, long Offset, int Length)[] _recipe = [];
    private string _url = "";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        var artifact = await _server.Admin.StoreArtifactAsync(("weights/model.bin", Content), ("config.json", "{}"u8.ToArray()));
        _recipe = await _server.Admin.RecipeAsync(ContentDigest);
        Assert.True(_recipe.Length >= 4, $"the test content should span several chunks, got {_recipe.Length}");
        var download = await _server.Admin.GetJsonAsync($"/v1/artifacts/{artifact}/download?ttl=600");
        _url = download.GetProperty("layers").EnumerateArray().Single(l => l.Str("path") == "weights/model.bin").Str("url");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Download_ListsEveryLayer_WithSizeExpiryAndAUrlServingTheExactBytes()
    {
        var config = "{}"u8.ToArray();
        var artifact = await _server.Admin.StoreArtifactAsync(("weights/model.bin", Content), ("config.json", config));
        var before = _server.Services.Time.GetUtcNow();
        var download = await _server.Admin.GetJsonAsync($"/v1/artifacts/{artifact}/download?ttl=120");
        Assert.Equal(artifact, download.Str("digest"));
        Assert.Equal(Size + config.Length, download.Long("total_size"));
        var expires = download.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expires, before.AddSeconds(118), before.AddSeconds(125));

        var layers = download.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(["weights/model.bin", "config.json"], layers.Select(l => l.Str("path")));
        foreach (var (layer, bytes) in layers.Zip(new[] { Content, config }))
        {
            Assert.Equal(BlobFixtures.Sha256(bytes), layer.Str("digest"));
            Assert.Equal(bytes.Length, layer.Long("size"));
            var url = layer.Str("url");
            Assert.StartsWith(_server.Host.DataUrl + "/blobs/sha256/", url, StringComparison.Ordinal);
            var got = await Curl.GetAsync(url);
            Assert.Equal(200, got.Status);
            Assert.Equal(bytes.Length, got.ContentLength);
            Assert.Equal(BlobFixtures.Sha256(bytes), BlobFixtures.Sha256(got.Body));
        }
        var manifest = await Curl.GetAsync(download.Str("manifest_url"));
        Assert.Equal(200, manifest.Status);
        Assert.Equal(artifact, BlobFixtures.Sha256(manifest.Body));

        // The URLs are written as they are, '&' not escaped to \u0026: scripts cut them out with sed or grep.
        using var raw = await _server.Admin.GetAsync($"/v1/artifacts/{artifact}/download?ttl=120");
        var text = await raw.Content.ReadAsStringAsync();
        Assert.Contains("&sig=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0026", text, StringComparison.Ordinal);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(text), raw.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Download_UnknownArtifact_Is404_AndTtlIsBounded()
    {
        using (var missing = await _server.Admin.GetAsync($"/v1/artifacts/{TestHttp.Digest("nope")}/download"))
        {
            await missing.ExpectProblemAsync(HttpStatusCode.NotFound, "MANIFEST_NOT_FOUND");
        }
        var artifact = await _server.Admin.StoreArtifactAsync(("a", Content));
        using var zero = await _server.Admin.GetAsync($"/v1/artifacts/{artifact}/download?ttl=0");
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
    }

    [Fact]
    public async Task GetBlob_OnTheControlPlane_RedirectsToAPresignedDataPlaneUrl()
    {
        var got = await Curl.GetAsync($"{_server.Host.ControlUrl}/v1/blobs/{ContentDigest}", "-H", "Authorization: Bearer " + _server.AdminToken);
        Assert.Equal(307, got.Status);
        var location = got.Header("Location")!;
        Assert.StartsWith($"{_server.Host.DataUrl}/blobs/sha256/{ContentDigest[7..]}?exp=", location, StringComparison.Ordinal);

        var followed = await Curl.GetAsync($"{_server.Host.ControlUrl}/v1/blobs/{ContentDigest}", "-L", "-H",
            "Authorization: Bearer " + _server.AdminToken);
        Assert.Equal(200, followed.Status);
        Assert.Equal(ContentDigest, BlobFixtures.Sha256(followed.Body));
    }

    [Fact]
    public async Task Head_OnTheDataPlane_GivesTheLengthWithoutABody()
    {
        var got = await Curl.GetAsync(_url, "-I");
        Assert.Equal(200, got.Status);
        Assert.Equal(Size, got.ContentLength);
        Assert.Equal("bytes", got.Header("Accept-Ranges"));
        // With -I curl writes the head where the body would go: nothing may follow it.
        Assert.EndsWith("\r\n\r\n", System.Text.Encoding.ASCII.GetString(got.Body), StringComparison.Ordinal);
        Assert.True(got.Body.Length < 1000);
    }

    /// <summary>
    /// Range specs in terms of the content: <c>Bn</c> is the offset where recipe chunk n starts, <c>END</c> the last
    /// byte, <c>SIZE</c> the length; <c>+k</c>/<c>-k</c> adjust. Expected "*" means the whole content with 200.
    /// </summary>
    [Theory]
    [InlineData("0-0", 206, "0-0")]
    [InlineData("0-END", 206, "0-END")]
    [InlineData("END-END", 206, "END-END")]
    [InlineData("B1-1 - B1", 206, "B1-1 - B1")]
    [InlineData("B1-100 - B3+100", 206, "B1-100 - B3+100")]
    [InlineData("B1 - B2-1", 206, "B1 - B2-1")]
    [InlineData("B2-", 206, "B2 - END")]
    [InlineData("12345-", 206, "12345 - END")]
    [InlineData("-1000", 206, "SIZE-1000 - END")]
    [InlineData("-SIZE+5", 206, "0-END")]
    [InlineData("B2 - SIZE+1000", 206, "B2 - END")]
    [InlineData("SIZE-", 416, "")]
    [InlineData("SIZE+10 - SIZE+20", 416, "")]
    [InlineData("-0", 416, "")]
    [InlineData("0-0,5-9", 200, "*")]
    [InlineData("B1-10 - B1+10,B3-", 200, "*")]
    public async Task Range_ThroughCurl_ServesExactlyTheRequestedBytes(string spec, int status, string expected)
    {
        var range = string.Join(',', spec.Split(',').Select(Resolve));
        var got = await Curl.GetAsync(_url, "-r", range);
        Assert.True(status == got.Status, $"-r {range}: expected {status}, got {got.Status}");
        switch (status)
        {
            case 206:
                var bounds = Resolve(expected).Split('-');
                var (first, last) = (long.Parse(bounds[0], CultureInfo.InvariantCulture), long.Parse(bounds[1], CultureInfo.InvariantCulture));
                Assert.Equal($"bytes {first}-{last}/{Size}", got.Header("Content-Range"));
                Assert.Equal(last - first + 1, got.ContentLength);
                Assert.Equal(Content.AsSpan((int)first, (int)(last - first + 1)).ToArray(), got.Body);
                break;
            case 416:
                Assert.Equal($"bytes */{Size}", got.Header("Content-Range"));
                Assert.Equal(got.Body.Length, got.ContentLength);
                break;
            default:
                Assert.Null(got.Header("Content-Range"));
                Assert.Equal(Size, got.ContentLength);
                Assert.Equal(ContentDigest, BlobFixtures.Sha256(got.Body));
                break;
        }
    }

    /// <summary>Turns "B1-1 - B1" into "offset-offset" (a spaced " - " separates the two ends of a range).</summary>
    private string Resolve(string spec)
    {
        spec = spec.Trim();
        if (spec.Contains(" - ", StringComparison.Ordinal))
        {
            var parts = spec.Split(" - ");
            return Value(parts[0]) + "-" + Value(parts[1]);
        }
        if (spec.StartsWith('-'))
        {
            return "-" + Value(spec[1..]);
        }
        if (spec.EndsWith('-'))
        {
            return Value(spec[..^1]) + "-";
        }
        var dash = spec.IndexOf('-', 1);
        return Value(spec[..dash]) + "-" + Value(spec[(dash + 1)..]);
    }

    private string Value(string term)
    {
        term = term.Trim();
        var split = term.IndexOfAny(['+', '-'], 1);
        var (name, adjust) = split < 0 ? (term, 0L) : (term[..split], long.Parse(term[split..], CultureInfo.InvariantCulture));
        long value = name switch
        {
            "END" => Size - 1,
            "SIZE" => Size,
            _ when name.StartsWith('B') => _recipe[int.Parse(name[1..], CultureInfo.InvariantCulture)].Offset,
            _ => long.Parse(name, CultureInfo.InvariantCulture),
        };
        return (value + adjust).ToString(CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ExpiredUrl_Is403()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(time: clock);
        var artifact = await server.Admin.StoreArtifactAsync(("m.bin", Content));
        var url = (await server.Admin.GetJsonAsync($"/v1/artifacts/{artifact}/download?ttl=60"))
            .GetProperty("layers")[0].Str("url");
        Assert.Equal(200, (await Curl.GetAsync(url, "-I")).Status);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(206, (await Curl.GetAsync(url, "-r", "0-9")).Status);

        clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await Curl.GetAsync(url);
        Assert.Equal(403, expired.Status);
        Assert.True(expired.Body.Length < 1000);
    }

    [Fact]
    public async Task TamperedUrl_Is403()
    {
        var query = _url[(_url.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&').ToDictionary(p => p.Split('=')[0], p => p.Split('=')[1]);
        var path = _url[.._url.IndexOf('?', StringComparison.Ordinal)];
        var sig = query["sig"];
        var flipped = (sig[0] == 'A' ? 'B' : 'A') + sig[1..];
        var exp = long.Parse(query["exp"], CultureInfo.InvariantCulture);
        var config = BlobFixtures.Sha256("{}"u8)[7..];

        string[] tampered =
        [
            $"{path}?exp={exp}&sig={flipped}",
            $"{path}?exp={exp + 3600}&sig={sig}",
            $"{path}?exp={exp}&sig={sig[..^1]}",
            $"{path}?exp={exp}&sig=",
            $"{_server.Host.DataUrl}/blobs/sha256/{config}?exp={exp}&sig={sig}",
            $"{_server.Host.DataUrl}/chunks/sha256/{_recipe[0].Digest[7..]}?exp={exp}&sig={sig}",
        ];
        foreach (var url in tampered)
        {
            var got = await Curl.GetAsync(url);
            Assert.True(got.Status == 403, $"{url}: expected 403, got {got.Status}");
            Assert.True(got.Body.Length < 1000);
        }
        Assert.Equal(200, (await Curl.GetAsync(_url, "-I")).Status);
    }

    [Fact]
    public async Task BearerToken_OnTheDataPlane_ReadsBlobs_AndABadTokenIsRefused()
    {
        var plain = $"{_server.Host.DataUrl}/blobs/sha256/{ContentDigest[7..]}";
        var reader = await _server.CreateTokenAsync(["read"]);

        foreach (var token in new[] { _server.AdminToken, reader.Token })
        {
            var got = await Curl.GetAsync(plain, "-H", "Authorization: Bearer " + token);
            Assert.Equal(200, got.Status);
            Assert.Equal(ContentDigest, BlobFixtures.Sha256(got.Body));
        }

        var anonymous = await Curl.GetAsync(plain);
        Assert.Equal(401, anonymous.Status);
        Assert.NotNull(anonymous.Header("WWW-Authenticate"));

        var bad = await Curl.GetAsync(plain, "-H", "Authorization: Bearer arca_not-a-real-token");
        Assert.Contains(bad.Status, new[] { 401, 403 });
        Assert.True(bad.Body.Length < 1000);

        using (var revoke = await _server.Admin.DeleteAsync("/v1/tokens/" + reader.Id))
        {
            Assert.True(revoke.IsSuccessStatusCode, $"revoking the token: {revoke.StatusCode}");
        }
        var revoked = await Curl.GetAsync(plain, "-H", "Authorization: Bearer " + reader.Token);
        Assert.Contains(revoked.Status, new[] { 401, 403 });
    }

    [Fact]
    public async Task Chunk_FromTheRecipe_IsServedExactly()
    {
        foreach (var index in new[] { 0, 1, _recipe.Length - 1 })
        {
            var (digest, offset, length) = _recipe[index];
            var path = "/chunks/sha256/" + digest[7..];
            var byToken = await Curl.GetAsync(_server.Host.DataUrl + path, "-H", "Authorization: Bearer " + _server.AdminToken);
            Assert.Equal(200, byToken.Status);
            Assert.Equal(length, byToken.ContentLength);
            Assert.Equal(Content.AsSpan((int)offset, length).ToArray(), byToken.Body);
            Assert.Equal(digest, BlobFixtures.Sha256(byToken.Body));

            var signed = _server.Services.Signer.Sign(path, TimeSpan.FromMinutes(1), out _);
            var bySignature = await Curl.GetAsync(_server.Host.DataUrl + signed, "-r", "1-10");
            Assert.Equal(206, bySignature.Status);
            Assert.Equal(Content.AsSpan((int)offset + 1, 10).ToArray(), bySignature.Body);
        }
        var unknown = await Curl.GetAsync($"{_server.Host.DataUrl}/chunks/sha256/{TestHttp.Digest("no chunk")[7..]}",
            "-H", "Authorization: Bearer " + _server.AdminToken);
        Assert.Equal(404, unknown.Status);
    }

    [Fact]
    public async Task ManyParallelCurls_AllGetTheExactBytes()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Curl.GetAsync(_url)));
        Assert.All(results, r =>
        {
            Assert.Equal(200, r.Status);
            Assert.Equal(ContentDigest, BlobFixtures.Sha256(r.Body));
        });
    }
}
