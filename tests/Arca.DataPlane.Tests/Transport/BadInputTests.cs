using System.Diagnostics;
using System.Text;
using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests.Transport;

/// <summary>Hostile and malformed input over a raw socket: each gets its status (or a close) and the listener keeps serving.</summary>
public sealed class BadInputTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Auth = "Authorization: Bearer " + TestServer.GoodToken + "\r\n";
    private readonly TestServer _server = shared.Server;

    public static TheoryData<string, string, int, bool> Cases() => new()
    {
        // name, request ({blob} = a stored blob path, {hex} = its digest), expected status, connection closed after it
        { "bare LF line endings", "GET {blob} HTTP/1.1\nHost: t\n" + Auth.Replace("\r\n", "\n") + "\n", 400, true },
        { "bare LF inside the head", "GET {blob} HTTP/1.1\r\nHost: t\n" + Auth + "\r\n", 400, true },
        { "bare CR in request line", "GET {blob}\rX: y HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "CRLF injection via header value", "GET {blob} HTTP/1.1\r\nHost: t\r\nX-A: a\rSet-Cookie: x\r\n" + Auth + "\r\n", 400, true },
        { "double space in request line", "GET  {blob} HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "missing version (HTTP/0.9)", "GET {blob}\r\n\r\n", 400, true },
        { "garbage version", "GET {blob} HTTP/one\r\nHost: t\r\n\r\n", 400, true },
        { "lowercase version", "GET {blob} http/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "unsupported version", "GET {blob} HTTP/1.2\r\nHost: t\r\n\r\n", 505, true },
        { "HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, true },
        { "TLS client hello", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n", 400, true },
        { "NUL in request line", "GET {blob}\0 HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "NUL in header value", "GET {blob} HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n" + Auth + "\r\n", 400, true },
        { "non-ASCII header value", "GET {blob} HTTP/1.1\r\nHost: t\r\nX-A: caf\u00e9\r\n" + Auth + "\r\n", 400, true },
        { "non-ASCII in target", "GET /blobs/sha256/\u00e9 HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "obsolete line folding", "GET {blob} HTTP/1.1\r\nHost: t\r\nX-A: a\r\n  folded\r\n" + Auth + "\r\n", 400, true },
        { "space before colon", "GET {blob} HTTP/1.1\r\nHost : t\r\n" + Auth + "\r\n", 400, true },
        { "header without colon", "GET {blob} HTTP/1.1\r\nHost: t\r\nNoColon\r\n" + Auth + "\r\n", 400, true },
        { "empty header name", "GET {blob} HTTP/1.1\r\nHost: t\r\n: v\r\n" + Auth + "\r\n", 400, true },
        { "missing Host in HTTP/1.1", "GET {blob} HTTP/1.1\r\n" + Auth + "\r\n", 400, true },
        { "Content-Length on GET", "GET {blob} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n" + Auth + "\r\nhello", 400, true },
        { "Transfer-Encoding on GET", "GET {blob} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n" + Auth + "\r\n0\r\n\r\n", 400, true },
        { "repeated Authorization", "GET {blob} HTTP/1.1\r\nHost: t\r\n" + Auth + Auth + "\r\n", 400, true },
        { "absolute-form target", "GET http://127.0.0.1{blob} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, true },
        { "asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "authority-form target", "CONNECT example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "fragment in target", "GET {blob}#x HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, true },
        { "quote in query", "GET {blob}?a=\"x\" HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, true },
        { "dot-dot segment", "GET /blobs/sha256/../../etc/passwd HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "dot segment", "GET /blobs/./sha256/{hex} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "percent-encoded dots", "GET /blobs/sha256/%2e%2e/x HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "percent-encoded hex", "GET /blobs/sha256/%61{hex} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "uppercase hex", "GET /blobs/sha256/{HEX} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "63 hex digits", "GET /blobs/sha256/{hex63} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "65 hex digits", "GET /blobs/sha256/{hex}0 HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "trailing slash", "GET {blob}/ HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "non-hex digest", "GET /blobs/sha256/{zzz} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 400, false },
        { "other algorithm", "GET /blobs/sha512/{hex} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 404, false },
        { "double slash", "GET //blobs/sha256/{hex} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 404, false },
        { "unknown path", "GET /etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 404, false },
        { "POST on a blob", "POST {blob} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 405, false },
        { "lowercase method", "get {blob} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 405, false },
        { "repeated exp", "GET {blob}?exp=1&exp=2&sig=x HTTP/1.1\r\nHost: t\r\n\r\n", 400, false },
        { "query junk with a token", "GET {blob}?junk=%00&&=&x HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 200, false },
        { "duplicate Host is accepted", "GET {blob} HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + Auth + "\r\n", 200, false },
        { "Content-Length: 0 is accepted", "GET {blob} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n" + Auth + "\r\n", 200, false },
        { "leading empty line is skipped", "\r\nGET {blob} HTTP/1.1\r\nHost: t\r\n" + Auth + "\r\n", 200, false },
        { "too many leading empty lines", "\r\n\r\n\r\n\r\n\r\nGET {blob} HTTP/1.1\r\nHost: t\r\n\r\n", 400, true },
        { "request line over 8 KiB", "GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414, true },
        { "request line over 8 KiB, no CRLF yet", "GET /" + new string('a', 9000), 414, true },
        { "100 KiB header", "GET {blob} HTTP/1.1\r\nHost: t\r\nX-Big: " + new string('b', 100 * 1024) + "\r\n" + Auth + "\r\n", 431, true },
        { "200 headers", "GET {blob} HTTP/1.1\r\nHost: t\r\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"X-H{i}: v\r\n")) + Auth + "\r\n", 431, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_its_status_and_the_listener_keeps_serving(string name, string request, int status, bool closes)
    {
        var blob = _server.Content.Single;
        request = request
            .Replace("{blob}", blob.Path)
            .Replace("{hex}", blob.Hex)
            .Replace("{HEX}", blob.Hex.ToUpperInvariant())
            .Replace("{hex63}", blob.Hex[..63])
            .Replace("{zzz}", new string('z', 64));
        using (var connection = await RawConnection.OpenAsync(_server.EndPoint))
        {
            await connection.SendAsync(Encoding.Latin1.GetBytes(request));
            var response = await connection.ReadResponseAsync();

            Assert.True(status == response.Status, $"{name}: expected {status}, got {response.Status}");
            Assert.Equal(response.Body.Length.ToString(), response.Header("Content-Length"));
            if (closes)
            {
                Assert.Equal("close", response.Header("Connection"));
                Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(5)), $"{name}: connection left open");
            }
            else
            {
                // Still usable: the next request on the same connection is served.
                await connection.SendAsync(RawConnection.Get(blob.Path));
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Random_binary_junk_never_hangs_or_kills_the_listener()
    {
        var random = new Random(42);
        for (var i = 0; i < 30; i++)
        {
            var junk = new byte[random.Next(1, 4096)];
            random.NextBytes(junk);
            using var connection = await RawConnection.OpenAsync(_server.EndPoint);
            await connection.SendAsync([.. junk, .. "\r\n\r\n"u8.ToArray()]);
            var reply = await connection.ReadResponseAsync();

            Assert.InRange(reply.Status, 400, 499);
            Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(5)));
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Client_that_disconnects_mid_response_does_not_hurt_the_listener()
    {
        for (var i = 0; i < 5; i++)
        {
            using var connection = await RawConnection.OpenAsync(_server.EndPoint);
            connection.Socket.ReceiveBufferSize = 16 * 1024;
            await connection.SendAsync(RawConnection.Get(_server.Content.Large.Path));
            await connection.Socket.ReceiveAsync(new byte[1000]);
            connection.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // reset, not FIN
        }
        await AssertStillServingAsync();
        var deadline = Stopwatch.StartNew();
        while (_server.Listener.Counters.ActiveConnections > 0 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, _server.Listener.Counters.ActiveConnections);
    }

    private async Task AssertStillServingAsync()
    {
        var response = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", _server.BaseUrl + _server.Content.Split.Path);
        Assert.Equal(200, response.Status);
        Assert.Equal(_server.Content.Split.Bytes, response.Body);
    }
}
