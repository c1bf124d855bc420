using System.Net;
using System.Net.Sockets;

namespace Arca.Cli.Tests.Commands;

/// <summary>The documented exit codes that do not belong to one command.</summary>
public sealed class ExitCodeTests : IAsyncLifetime
{
    private readonly Registry _registry = new();

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        await _registry.RegisterAsync("qa", "a");
    }

    public Task DisposeAsync() => _registry.DisposeAsync();

    [Theory]
    [InlineData("ls")]
    [InlineData("ls", "qa")]
    [InlineData("show", "qa")]
    [InlineData("events")]
    [InlineData("promote", "qa", "1", "--alias", "prod")]
    public async Task Command_UnreachableRegistry_ExitsUnreachable(params string[] args)
    {
        using var closed = ClosedPort();
        var result = await _registry.ArcaWithAsync($"http://127.0.0.1:{((IPEndPoint)closed.LocalEndPoint!).Port}", "whatever", args);

        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Contains("registry unreachable", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task Command_WithoutAValidToken_ExitsForbidden(string? token)
    {
        var result = await _registry.ArcaWithAsync(_registry.Url, token, "ls");

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("UNAUTHORIZED", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_TokenScopedToOtherModels_ExitsForbidden()
    {
        var created = await _registry.SendAsync(HttpMethod.Post, "/v1/tokens", System.Text.Json.Nodes.JsonNode.Parse(
            """{"name":"other","roles":["read"],"models":"other/*"}"""));

        var result = await _registry.ArcaWithAsync(_registry.Url, created.GetProperty("token").GetString(), "show", "qa:1");

        Assert.True(result.ExitCode == 5, result.ToString());
    }

    /// <summary>
    /// A loopback port that refuses connections for as long as the socket lives: bound, never listening. (A port that
    /// was free a moment ago may by then be a server's from another test running in parallel.)
    /// </summary>
    private static Socket ClosedPort()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
