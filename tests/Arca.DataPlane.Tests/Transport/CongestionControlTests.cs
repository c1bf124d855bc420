using System.Diagnostics;
using System.Net.Sockets;
using Arca.DataPlane.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Tests.Transport;

/// <summary>
/// <see cref="DataPlaneOptions.TcpCongestion"/> reaches the kernel: every accepted connection uses it, as
/// <c>ss -ti</c> shows; a name the kernel refuses is logged and the data plane serves with its default.
/// </summary>
public sealed class CongestionControlTests
{
    private static readonly string KernelDefault = File.ReadAllText("/proc/sys/net/ipv4/tcp_congestion_control").Trim();

    [Fact]
    public async Task Accepted_connections_use_the_configured_congestion_control()
    {
        // reno is always built in; where it is the default, use cubic so the assertion can tell the two apart.
        var wanted = KernelDefault == "reno" ? "cubic" : "reno";
        await using var server = TestServer.Start(o => o with { TcpCongestion = wanted });
        using var client = new TcpClient();
        await client.ConnectAsync(server.EndPoint);

        Assert.Equal(wanted, await ServerSideCongestionControl(server.EndPoint.Port));
    }

    [Fact]
    public async Task Without_a_setting_connections_keep_the_kernel_default()
    {
        await using var server = TestServer.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(server.EndPoint);

        Assert.Equal(KernelDefault, await ServerSideCongestionControl(server.EndPoint.Port));
    }

    [Fact]
    public async Task A_congestion_control_the_kernel_refuses_is_logged_and_downloads_still_work()
    {
        var logger = new ListLogger();
        await using var server = TestServer.Start(o => o with { TcpCongestion = "no-such-algorithm" }, logger: logger);

        var response = await Curl.RunAsync("-H", "Authorization: Bearer " + TestServer.GoodToken,
            server.BaseUrl + server.Content.Single.Path);

        Assert.Equal(200, response.Status);
        Assert.Equal(server.Content.Single.Bytes, response.Body);
        var warning = Assert.Single(logger.Entries, e => e.Id == 2004);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'no-such-algorithm'", warning.Message, StringComparison.Ordinal);
        Assert.Equal(KernelDefault, await ServerSideCongestionControl(server.EndPoint.Port, connect: true));
    }

    /// <summary>The congestion control of the established connection whose local port is <paramref name="port"/>, from <c>ss -tin</c>.</summary>
    private static async Task<string> ServerSideCongestionControl(int port, bool connect = false)
    {
        using var client = connect ? new TcpClient() : null;
        if (client is not null)
        {
            await client.ConnectAsync("127.0.0.1", port);
        }
        var info = new ProcessStartInfo("ss") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-t", "-i", "-n", "-H", "state", "established", $"( sport = :{port} )" })
        {
            info.ArgumentList.Add(a);
        }
        using var ss = Process.Start(info)!;
        var output = await ss.StandardOutput.ReadToEndAsync();
        await ss.WaitForExitAsync();
        var known = new[] { "reno", "cubic", "bbr", "bbr2", "dctcp", "vegas", "htcp", "bic", "westwood" };
        var names = output.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(known.Contains).ToList();
        return Assert.Single(names);
    }

    private sealed class ListLogger : ILogger<DataPlaneListener>
    {
        public List<(int Id, LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
