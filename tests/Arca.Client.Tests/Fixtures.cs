namespace Arca.Client.Tests;

/// <summary>One real registry shared by the tests of the "registry" collection (they run one after another).</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public ArcaServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ArcaServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public ArcaCli Client() => new(Server.ControlUrl, Server.AdminToken);
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}

/// <summary>
/// A real registry whose presigned download URLs point at a <see cref="DataPlaneProxy"/>, so tests can stall the data
/// plane or make it lie.
/// </summary>
public sealed class ProxiedDataPlaneFixture : IAsyncLifetime
{
    internal DataPlaneProxy Proxy { get; private set; } = null!;

    public ArcaServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Proxy = new DataPlaneProxy();
        Server = await ArcaServer.StartAsync(dataPublicUrl: Proxy.Url);
        Proxy.UpstreamPort = Server.DataPort;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Proxy.DisposeAsync();
    }

    public ArcaCli Client() => new(Server.ControlUrl, Server.AdminToken);

    /// <summary>Back to an honest data plane that never stalls (each test starts from here).</summary>
    internal void ResetProxy()
    {
        // Abandon stalled exchanges first, so none of them wakes up and counts bytes in the new generation.
        Proxy.ResetCounts();
        Proxy.Corrupt = false;
        Proxy.PauseAfter = 0;
    }
}

[CollectionDefinition(Name)]
public sealed class ProxiedDataPlaneCollection : ICollectionFixture<ProxiedDataPlaneFixture>
{
    public const string Name = "proxied data plane";
}
