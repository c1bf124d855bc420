using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Arca.DataPlane.Tests.Support;

namespace Arca.DataPlane.Tests.Transport;

/// <summary>Deadlines (real time, short timeouts) and the connection limit; each test owns its listener.</summary>
public sealed class TimeoutAndLimitTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Slowloris_head_sent_byte_by_byte_is_cut_at_the_header_timeout()
    {
        await using var server = TestServer.Start(o => o with { HeaderTimeout = Short }, largeBytes: 1 << 20);
        var clock = Stopwatch.StartNew(); // before connecting: the server's deadline cannot start earlier
        using var connection = await RawConnection.OpenAsync(server.EndPoint);
        var request = Encoding.ASCII.GetBytes(RawConnection.Get(server.Content.Single.Path));
        var reader = connection.ReadToEndAsync(TimeSpan.FromSeconds(15));

        for (var i = 0; i < request.Length - 2 && !reader.IsCompleted; i++)
        {
            try
            {
                await connection.SendAsync(request[i..(i + 1)]);
            }
            catch (SocketException)
            {
                break;
            }
            await Task.Delay(100);
        }
        var reply = Encoding.ASCII.GetString(await reader);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.True(reply.Length == 0 || reply.StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), reply);
        await AssertServesAsync(server);
    }

    [Fact]
    public async Task Connection_that_sends_nothing_is_closed_after_the_header_timeout()
    {
        await using var server = TestServer.Start(o => o with { HeaderTimeout = Short }, largeBytes: 1 << 20);
        var clock = Stopwatch.StartNew();
        using var connection = await RawConnection.OpenAsync(server.EndPoint);

        Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(9)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Idle_keep_alive_connection_is_closed_after_the_idle_timeout()
    {
        await using var server = TestServer.Start(o => o with { IdleTimeout = Short }, largeBytes: 1 << 20);
        using var connection = await RawConnection.OpenAsync(server.EndPoint);
        var clock = Stopwatch.StartNew(); // before the request: the idle deadline starts after the response
        await connection.SendAsync(RawConnection.Get(server.Content.Single.Path));
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);

        Assert.True(await connection.WaitClosedAsync(TimeSpan.FromSeconds(9)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Reader_that_stops_reading_is_dropped_after_the_idle_timeout()
    {
        await using var server = TestServer.Start(o => o with { IdleTimeout = Short });
        using var connection = await RawConnection.OpenAsync(server.EndPoint);
        connection.Socket.ReceiveBufferSize = 16 * 1024;
        var clock = Stopwatch.StartNew();
        await connection.SendAsync(RawConnection.Get(server.Content.Large.Path));

        await WaitUntilAsync(() => server.Listener.Counters.ActiveConnections == 0, TimeSpan.FromSeconds(9));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        await AssertServesAsync(server);
    }

    [Fact]
    public async Task Connections_over_the_limit_get_503_and_the_slot_frees_on_close()
    {
        await using var server = TestServer.Start(o => o with { MaxConnections = 2 }, largeBytes: 1 << 20);
        var first = await RawConnection.OpenAsync(server.EndPoint);
        using var second = await RawConnection.OpenAsync(server.EndPoint);
        await WaitUntilAsync(() => server.Listener.Counters.ActiveConnections == 2, TimeSpan.FromSeconds(5));

        using (var third = await RawConnection.OpenAsync(server.EndPoint))
        {
            var refused = await third.ReadResponseAsync();
            Assert.Equal(503, refused.Status);
        }
        Assert.Equal(1, server.Listener.Counters.RejectedConnections);

        first.Dispose();
        await WaitUntilAsync(() => server.Listener.Counters.ActiveConnections == 1, TimeSpan.FromSeconds(5));
        using var fourth = await RawConnection.OpenAsync(server.EndPoint);
        await fourth.SendAsync(RawConnection.Get(server.Content.Single.Path));
        Assert.Equal(200, (await fourth.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task Dispose_closes_idle_and_busy_connections_promptly()
    {
        var server = TestServer.Start();
        using var idle = await RawConnection.OpenAsync(server.EndPoint);
        using var busy = await RawConnection.OpenAsync(server.EndPoint);
        busy.Socket.ReceiveBufferSize = 16 * 1024;
        await busy.SendAsync(RawConnection.Get(server.Content.Large.Path));
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();

        await server.DisposeAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"dispose took {clock.Elapsed}");
        Assert.True(await idle.WaitClosedAsync(TimeSpan.FromSeconds(2)));
        Assert.True(await busy.WaitClosedAsync(TimeSpan.FromSeconds(9)));
    }

    [Fact]
    public async Task Many_concurrent_downloads_all_get_exact_bytes()
    {
        await using var server = TestServer.Start(largeBytes: 8 << 20);
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.GoodToken);
        var large = server.Content.Large;
        var random = new Random(7);
        var jobs = Enumerable.Range(0, 64).Select(i =>
        {
            var first = i % 4 == 0 ? 0 : random.Next(0, large.Bytes.Length - 1);
            var last = i % 4 == 0 ? large.Bytes.Length - 1 : random.Next(first, large.Bytes.Length);
            return (first, last);
        }).ToList();

        var results = await Task.WhenAll(jobs.Select(async job =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + large.Path);
            request.Headers.Range = new(job.first, job.last);
            using var response = await client.SendAsync(request);
            return (job, bytes: await response.Content.ReadAsByteArrayAsync());
        }));

        foreach (var (job, bytes) in results)
        {
            Assert.True(large.Bytes.AsSpan(job.first, job.last - job.first + 1).SequenceEqual(bytes), $"{job.first}-{job.last}");
        }
    }

    [Fact]
    public async Task Counters_track_requests_statuses_bytes_and_connections()
    {
        await using var server = TestServer.Start(largeBytes: 1 << 20);
        using (var connection = await RawConnection.OpenAsync(server.EndPoint))
        {
            await connection.SendAsync(RawConnection.Get(server.Content.Single.Path));
            await connection.ReadResponseAsync();
            await connection.SendAsync(RawConnection.Get(server.Content.Split.Path, extra: "Range: bytes=0-9\r\n"));
            await connection.ReadResponseAsync();
            await connection.SendAsync(RawConnection.Get($"/blobs/sha256/{TestContent.MissingHex}"));
            await connection.ReadResponseAsync();
            Assert.Equal(1, server.Listener.Counters.ActiveConnections);
        }
        var counters = server.Listener.Counters;

        Assert.Equal(3, counters.Requests);
        Assert.Equal(2, counters.Responses2xx);
        Assert.Equal(1, counters.Responses4xx);
        Assert.InRange(counters.BytesSent, 10_010, 12_000);
        await WaitUntilAsync(() => counters.ActiveConnections == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(1, counters.AcceptedConnections);
    }

    private static async Task AssertServesAsync(TestServer server)
    {
        var response = await Curl.RunAsync("-H", $"Authorization: Bearer {TestServer.GoodToken}", server.BaseUrl + server.Content.Single.Path);
        Assert.Equal(200, response.Status);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
