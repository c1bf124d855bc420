using System.Text.Json;
using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>What a tier does as it starts, before any client asks it for anything.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Each_tier_learns_where_its_upstreams_data_plane_is_at_start_before_any_read()
    {
        // No relays: the tiers are not told the data URL, they must ask (healthz). Doing it at start keeps that round trip
        // out of the first cold read's way.
        await using var tree = await TierTree.StartAsync();
        foreach (var (tier, upstream) in new[] { (tree.SeederApi, tree.Origin), (tree.EdgeApi, tree.Seeder) })
        {
            TierStatus? status = null;
            await Eventually.WaitAsync(async () =>
                {
                    status = await tier.StatusAsync();
                    return status.Json.TryGetProperty("upstream_data_url", out var url) && url.ValueKind == JsonValueKind.String
                        && url.GetString() == upstream.DataUrl;
                }, TimeSpan.FromSeconds(15),
                () => $"{tier.Server.Name} reports {status?.Json}, without upstream_data_url {upstream.DataUrl}{tree.Logs}");
            Assert.Equal(0, status!.UpstreamFetches);
        }
    }
}
