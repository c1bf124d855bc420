using System.Text;
using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests.Transport;

public sealed class KeepAliveTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer _server = shared.Server;

    [Fact]
    public async Task Several_requests_share_one_connection()
    {
        var content = _server.Content;
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        foreach (var stored in new[] { content.Single, content.Split, content.Adjacent, content.Chunk, content.Single })
        {
            await connection.SendAsync(RawConnection.Get(stored.Path));
            var response = await connection.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.Equal("keep-alive", response.Header("Connection"));
            Assert.Equal(stored.Bytes, response.Body);
        }
    }

    [Fact]
    public async Task Errors_that_are_not_malformed_requests_keep_the_connection()
    {
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        await connection.SendAsync(RawConnection.Get($"/blobs/sha256/{TestContent.MissingHex}"));
        Assert.Equal(404, (await connection.ReadResponseAsync()).Status);
        await connection.SendAsync(RawConnection.Get(_server.Content.Single.Path, token: "wrong"));
        Assert.Equal(403, (await connection.ReadResponseAsync()).Status);
        await connection.SendAsync(RawConnection.Get(_server.Content.Single.Path, extra: "Range: bytes=99999-\r\n"));
        Assert.Equal(416, (await connection.ReadResponseAsync()).Status);
        await connection.SendAsync(RawConnection.Get(_server.Content.Single.Path));
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        var content = _server.Content;
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        var requests = RawConnection.Get(content.Split.Path, extra: "Range: bytes=2990-3010\r\n")
            + RawConnection.Get($"/blobs/sha256/{TestContent.MissingHex}")
            + $"HEAD {content.Adjacent.Path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TestServer.GoodToken}\r\n\r\n"
            + RawConnection.Get(content.Large.Path)
            + RawConnection.Get(content.Chunk.Path);
        await connection.SendAsync(requests);

        var ranged = await connection.ReadResponseAsync();
        var missing = await connection.ReadResponseAsync();
        var head = await connection.ReadResponseAsync(headRequest: true);
        var large = await connection.ReadResponseAsync();
        var chunk = await connection.ReadResponseAsync();

        Assert.Equal(206, ranged.Status);
        Assert.Equal(content.Split.Bytes[2990..3011], ranged.Body);
        Assert.Equal(404, missing.Status);
        Assert.Equal(200, head.Status);
        Assert.Equal(content.Adjacent.Bytes.Length.ToString(), head.Header("Content-Length"));
        Assert.True(content.Large.Bytes.AsSpan().SequenceEqual(large.Body));
        Assert.Equal(content.Chunk.Bytes, chunk.Body);
    }

    [Fact]
    public async Task Pipelined_requests_split_across_writes_at_odd_places()
    {
        var content = _server.Content;
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        var bytes = Encoding.ASCII.GetBytes(RawConnection.Get(content.Single.Path) + RawConnection.Get(content.Chunk.Path));
        for (var i = 0; i < bytes.Length; i += 7)
        {
            await connection.SendAsync(bytes[i..Math.Min(bytes.Length, i + 7)]);
            await Task.Delay(1);
        }

        Assert.Equal(content.Single.Bytes, (await connection.ReadResponseAsync()).Body);
        Assert.Equal(content.Chunk.Bytes, (await connection.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task Connection_close_is_honoured()
    {
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        await connection.SendAsync(RawConnection.Get(_server.Content.Single.Path, extra: "Connection: close\r\n"));
        var response = await connection.ReadResponseAsync();

        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Http10_closes_after_one_response()
    {
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        await connection.SendAsync($"GET {_server.Content.Single.Path} HTTP/1.0\r\nAuthorization: Bearer {TestServer.GoodToken}\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Http10_with_keep_alive_stays_open()
    {
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        var request = $"GET {_server.Content.Chunk.Path} HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Bearer {TestServer.GoodToken}\r\n\r\n";
        await connection.SendAsync(request);
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync(request);
        var second = await connection.ReadResponseAsync();

        Assert.Equal("keep-alive", first.Header("Connection"));
        Assert.Equal(_server.Content.Chunk.Bytes, second.Body);
    }

    [Fact]
    public async Task Response_to_a_client_that_reads_slowly_completes_through_the_epoll_engine()
    {
        var large = _server.Content.Large;
        using var connection = await RawConnection.OpenAsync(_server.EndPoint);
        connection.Socket.ReceiveBufferSize = 64 * 1024;
        await connection.SendAsync(RawConnection.Get(large.Path) + RawConnection.Get(_server.Content.Chunk.Path));
        await Task.Delay(300); // the server fills the socket buffers and parks the transfer on EAGAIN

        var response = await connection.ReadResponseAsync();
        var next = await connection.ReadResponseAsync();

        Assert.True(large.Bytes.AsSpan().SequenceEqual(response.Body));
        Assert.Equal(_server.Content.Chunk.Bytes, next.Body);
    }
}
