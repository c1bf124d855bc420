namespace Arca.Tier.Tests.Infrastructure;

/// <summary>How a test wants its origin → seeder → edge tree.</summary>
internal sealed record TierTreeOptions
{
    /// <summary>Extra <c>--set key=value</c> of the seeder.</summary>
    public IReadOnlyDictionary<string, string> Seeder { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra <c>--set key=value</c> of the edge.</summary>
    public IReadOnlyDictionary<string, string> Edge { get; init; } = new Dictionary<string, string>();

    /// <summary>Put a <see cref="TcpRelay"/> between the seeder and the origin's data plane (<c>tier.upstream_data_url</c>).</summary>
    public bool RelaySeederToOrigin { get; init; }

    /// <summary>Put a <see cref="TcpRelay"/> between the edge and the seeder's data plane (<c>tier.upstream_data_url</c>).</summary>
    public bool RelayEdgeToSeeder { get; init; }
}
