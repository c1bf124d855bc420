namespace Arca.Server.Tests;

public sealed class HealthTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Healthz_AnswersWithoutAToken()
    {
        var health = await _server.Anonymous.GetJsonAsync("/healthz");

        Assert.Equal("ok", health.Str("status"));
        Assert.Equal("origin", health.Str("mode"));
    }

    [Fact]
    public async Task Readyz_WithTheDatabaseOpen_IsReady()
    {
        var ready = await _server.Anonymous.GetJsonAsync("/readyz");

        Assert.Equal("ready", ready.Str("status"));
        Assert.Equal("origin", ready.Str("mode"));
    }
}
