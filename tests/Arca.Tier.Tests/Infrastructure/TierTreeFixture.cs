namespace Arca.Tier.Tests.Infrastructure;

/// <summary>One default origin → seeder → edge tree shared by the tests of a class (they run one after another).</summary>
public sealed class TierTreeFixture : IAsyncLifetime
{
    internal TierTree Tree { get; private set; } = null!;

    public async Task InitializeAsync() => Tree = await TierTree.StartAsync();

    public async Task DisposeAsync() => await Tree.DisposeAsync();
}
