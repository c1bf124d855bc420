using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests;

public sealed class ConditionalAndHeadTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly string Auth = $"Authorization: Bearer {TestServer.GoodToken}";
    private readonly TestServer _server = shared.Server;

    [Fact]
    public async Task Head_sends_the_headers_of_GET_without_content()
    {
        var blob = _server.Content.Split;
        var response = await Curl.RunAsync("-I", "-o", "/dev/null", "-H", Auth, _server.BaseUrl + blob.Path);

        Assert.Equal(200, response.Status);
        Assert.Equal(blob.Bytes.Length.ToString(), response.Header("Content-Length"));
        Assert.Equal(blob.ETag, response.Header("ETag"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Head_ignores_Range_as_RFC_9110_defines_it_for_GET_only()
    {
        var blob = _server.Content.Split;
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        await connection.SendAsync($"HEAD {blob.Path} HTTP/1.1\r\nHost: t\r\n{Auth}\r\nRange: bytes=0-9\r\n\r\n");
        var response = await connection.ReadResponseAsync(headRequest: true);

        Assert.Equal(200, response.Status);
        Assert.Equal(blob.Bytes.Length.ToString(), response.Header("Content-Length"));
        Assert.Null(response.Header("Content-Range"));

        // No content followed the HEAD response: the next response on the connection starts right after its head.
        await connection.SendAsync(RawConnection.Get(_server.Content.Chunk.Path));
        var next = await connection.ReadResponseAsync();
        Assert.Equal(_server.Content.Chunk.Bytes, next.Body);
    }

    [Theory]
    [InlineData("\"sha256:{hex}\"")]
    [InlineData("W/\"sha256:{hex}\"")]
    [InlineData("\"other\", \"sha256:{hex}\"")]
    [InlineData("*")]
    public async Task If_None_Match_hit_is_304_without_content(string ifNoneMatch)
    {
        var blob = _server.Content.Single;
        var response = await Curl.RunAsync("-H", Auth, "-H", $"If-None-Match: {ifNoneMatch.Replace("{hex}", blob.Hex)}", _server.BaseUrl + blob.Path);

        Assert.Equal(304, response.Status);
        Assert.Equal(blob.ETag, response.Header("ETag"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task If_None_Match_miss_is_200()
    {
        var blob = _server.Content.Single;
        var response = await Curl.RunAsync("-H", Auth, "-H", "If-None-Match: \"sha256:0000\"", _server.BaseUrl + blob.Path);

        Assert.Equal(200, response.Status);
        Assert.Equal(blob.Bytes, response.Body);
    }

    [Fact]
    public async Task If_None_Match_takes_precedence_over_Range()
    {
        var blob = _server.Content.Single;
        var response = await Curl.RunAsync("-H", Auth, "-H", $"If-None-Match: {blob.ETag}", "-r", "0-9", _server.BaseUrl + blob.Path);

        Assert.Equal(304, response.Status);
    }

    [Theory]
    [InlineData("\"sha256:{hex}\"", 206)]                 // strong match: the range applies
    [InlineData("W/\"sha256:{hex}\"", 200)]               // weak tags never match If-Range
    [InlineData("\"sha256:0000\"", 200)]                  // changed representation: whole content
    [InlineData("Sat, 01 Jan 2000 00:00:00 GMT", 200)]    // a date: we send no Last-Modified, so it cannot hold
    public async Task If_Range_keeps_the_range_only_for_our_strong_etag(string ifRange, int status)
    {
        var blob = _server.Content.Split;
        var response = await Curl.RunAsync("-H", Auth, "-H", $"If-Range: {ifRange.Replace("{hex}", blob.Hex)}", "-r", "10-19", _server.BaseUrl + blob.Path);

        Assert.Equal(status, response.Status);
        Assert.Equal(status == 206 ? blob.Bytes[10..20] : blob.Bytes, response.Body);
    }

    [Fact]
    public async Task Unknown_digest_is_404_with_a_text_body()
    {
        var response = await Curl.RunAsync("-H", Auth, $"{_server.BaseUrl}/blobs/sha256/{TestContent.MissingHex}");

        Assert.Equal(404, response.Status);
        Assert.StartsWith("text/plain", response.Header("Content-Type"));
        Assert.Equal(response.Body.Length.ToString(), response.Header("Content-Length"));
    }

    [Fact]
    public async Task Other_methods_on_a_content_path_are_405_with_Allow()
    {
        var response = await Curl.RunAsync("-X", "DELETE", "-H", Auth, _server.BaseUrl + _server.Content.Single.Path);

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Fact]
    public async Task Broken_content_source_costs_the_request_not_the_listener()
    {
        var throwing = await Curl.RunAsync("-H", Auth, $"{_server.BaseUrl}/blobs/sha256/{TestContent.ThrowingHex}");
        var inconsistent = await Curl.RunAsync("-H", Auth, $"{_server.BaseUrl}/blobs/sha256/{TestContent.InconsistentHex}");
        var healthy = await Curl.RunAsync("-H", Auth, _server.BaseUrl + _server.Content.Single.Path);

        Assert.Equal(500, throwing.Status);
        Assert.Equal(500, inconsistent.Status);
        Assert.Equal(_server.Content.Single.Bytes, healthy.Body);
    }
}
