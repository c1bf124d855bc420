using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests;

/// <summary>RFC 9110 §14 through the real curl, against content whose extents span two files and adjacent runs of one.</summary>
public sealed class RangeRequestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer _server = shared.Server;

    // Split blob: 14001 bytes = a[20000..23000) + b[0..5000) + a[40000..42000) + b[9999..14000) (the last two extents adjacent).
    // Expected: status, first, last (inclusive) — for 200 the whole blob, for 416 none.
    [Theory]
    [InlineData("bytes=0-0", 206, 0, 0)]
    [InlineData("bytes=0-99", 206, 0, 99)]
    [InlineData("bytes=2990-3010", 206, 2990, 3010)]             // crosses file a → file b
    [InlineData("bytes=2999-10000", 206, 2999, 10000)]           // spans three extents, two files
    [InlineData("bytes=9990-10010", 206, 9990, 10010)]           // crosses the join of two adjacent extents
    [InlineData("bytes=100-", 206, 100, 14000)]
    [InlineData("bytes=-500", 206, 13501, 14000)]
    [InlineData("bytes=-1", 206, 14000, 14000)]
    [InlineData("bytes=-14001", 206, 0, 14000)]
    [InlineData("bytes=-999999", 206, 0, 14000)]                 // suffix longer than the content: all of it
    [InlineData("bytes=0-999999", 206, 0, 14000)]                // last-pos past the end: clamped
    [InlineData("bytes=0-99999999999999999999", 206, 0, 14000)] // beyond a long: saturates, still "to the end"
    [InlineData("bytes=14000-14000", 206, 14000, 14000)]
    [InlineData("bytes=0-", 206, 0, 14000)]
    [InlineData("BYTES=5-9", 206, 5, 9)]                         // range unit is case-insensitive
    [InlineData("bytes= 5-9 ", 206, 5, 9)]                       // optional whitespace around a list element
    [InlineData("bytes=5-9,", 206, 5, 9)]                        // empty list elements are ignored
    [InlineData("bytes=14001-", 416, 0, -1)]
    [InlineData("bytes=14001-20000", 416, 0, -1)]
    [InlineData("bytes=99999999999999999999-", 416, 0, -1)]
    [InlineData("bytes=-0", 416, 0, -1)]
    [InlineData("bytes=5-2", 200, 0, 14000)]                     // invalid: ignored
    [InlineData("bytes=0-1,5-6", 200, 0, 14000)]                 // multi-range: served whole (documented)
    [InlineData("bytes=0-1,99999-", 200, 0, 14000)]
    [InlineData("items=0-5", 200, 0, 14000)]                     // unknown unit: ignored
    [InlineData("bytes=abc", 200, 0, 14000)]
    [InlineData("bytes=", 200, 0, 14000)]
    [InlineData("bytes=1-2-3", 200, 0, 14000)]
    [InlineData("bytes=+1-2", 200, 0, 14000)]
    [InlineData("bytes 0-5", 200, 0, 14000)]
    public async Task Range_header_is_answered_per_RFC_9110(string range, int status, long first, long last)
    {
        var blob = _server.Content.Split;
        var response = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", "-H", $"Range: {range}",
            _server.BaseUrl + blob.Path);

        Assert.Equal(status, response.Status);
        switch (status)
        {
            case 206:
                Assert.Equal($"bytes {first}-{last}/{blob.Bytes.Length}", response.Header("Content-Range"));
                Assert.Equal((last - first + 1).ToString(), response.Header("Content-Length"));
                Assert.Equal(blob.Bytes[(int)first..(int)(last + 1)], response.Body);
                break;
            case 416:
                Assert.Equal($"bytes */{blob.Bytes.Length}", response.Header("Content-Range"));
                Assert.Equal(response.Body.Length.ToString(), response.Header("Content-Length"));
                break;
            default:
                Assert.Null(response.Header("Content-Range"));
                Assert.Equal(blob.Bytes.Length.ToString(), response.Header("Content-Length"));
                Assert.Equal(blob.Bytes, response.Body);
                break;
        }
        Assert.Equal(blob.ETag, response.Header("ETag"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
    }

    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("4000-8191", 4000, 8191)]   // inside the coalesced run of three adjacent extents
    [InlineData("8190-", 8190, 8291)]
    [InlineData("-10", 8282, 8291)]
    public async Task Curl_r_option_reads_exact_bytes_of_adjacent_extents(string range, int first, int last)
    {
        var blob = _server.Content.Adjacent;
        var response = await Curl.RunAsync("-r", range, "-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + blob.Path);

        Assert.Equal(206, response.Status);
        Assert.Equal($"bytes {first}-{last}/{blob.Bytes.Length}", response.Header("Content-Range"));
        Assert.Equal(blob.Bytes[first..(last + 1)], response.Body);
    }

    [Fact]
    public async Task Whole_blobs_and_chunks_are_served_with_content_headers()
    {
        foreach (var stored in new[] { _server.Content.Single, _server.Content.Split, _server.Content.Adjacent, _server.Content.Chunk, _server.Content.Large })
        {
            var response = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + stored.Path);

            Assert.Equal(200, response.Status);
            Assert.Equal(stored.Bytes.Length.ToString(), response.Header("Content-Length"));
            Assert.Equal("application/octet-stream", response.Header("Content-Type"));
            Assert.Equal("public, max-age=31536000, immutable", response.Header("Cache-Control"));
            Assert.Equal(stored.ETag, response.Header("ETag"));
            Assert.NotNull(response.Header("Date"));
            Assert.True(stored.Bytes.AsSpan().SequenceEqual(response.Body), $"{stored.Path}: body differs");
        }
    }

    [Fact]
    public async Task Empty_blob_is_200_with_no_content_and_any_range_is_unsatisfiable()
    {
        var blob = _server.Content.Empty;
        var whole = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + blob.Path);
        var ranged = await Curl.RunAsync("-r", "0-", "-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + blob.Path);

        Assert.Equal(200, whole.Status);
        Assert.Equal("0", whole.Header("Content-Length"));
        Assert.Empty(whole.Body);
        Assert.Equal(416, ranged.Status);
        Assert.Equal("bytes */0", ranged.Header("Content-Range"));
    }

    [Fact]
    public async Task Chunk_namespace_is_separate_from_blobs()
    {
        var chunk = _server.Content.Chunk;
        var asBlob = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", $"{_server.BaseUrl}/blobs/sha256/{chunk.Hex}");

        Assert.Equal(404, asBlob.Status);
    }
}
