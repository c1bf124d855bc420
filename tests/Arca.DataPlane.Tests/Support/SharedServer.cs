namespace Arca.DataPlane.Tests.Support;

/// <summary>One default <see cref="TestServer"/> for a whole test class (tests that change time or limits start their own).</summary>
public sealed class SharedServer : IAsyncLifetime
{
    private TestServer? _server;

    public TestServer Server => _server ?? throw new InvalidOperationException("not started");

    public Task InitializeAsync()
    {
        _server = TestServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
