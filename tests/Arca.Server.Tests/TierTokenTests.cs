using System.Net;
using System.Net.Sockets;

namespace Arca.Server.Tests;

/// <summary>How a tier's control plane checks client tokens with its upstream (an edge here, in-process, with a fake clock).</summary>
public sealed class TierTokenTests
{
    [Fact]
    public async Task A_good_token_checked_longer_ago_than_its_ttl_is_answered_at_once_while_a_hung_upstream_is_asked_again()
    {
        await using var origin = await TestServer.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var edge = await TestServer.StartAsync(
            o => o with { Mode = "edge", Upstream = origin.Host.ControlUrl, UpstreamToken = origin.AdminToken }, clock);
        var client = edge.Client(origin.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/tier/status")).StatusCode); // the token is checked upstream, then cached

        // The upstream hangs: its port accepts connections and never answers (a refused connection would take the
        // stale-if-error path at once, which is not what this is about).
        var port = new Uri(origin.Host.ControlUrl).Port;
        await origin.StopAsync();
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, port));
        silent.Listen(64);

        clock.Advance(TimeSpan.FromSeconds(20)); // past the token's TTL (10 s), within its refresh window (1 min)
        // A check in front of the request would wait for the upstream's 10 s metadata timeout.
        var impatient = edge.Client(origin.AdminToken);
        impatient.Timeout = TimeSpan.FromSeconds(5);
        using var response = await impatient.GetAsync("/v1/tier/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        clock.Advance(TimeSpan.FromMinutes(2)); // beyond the refresh window: the answer waits for the upstream again
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync("/v1/tier/status"));
    }
}
