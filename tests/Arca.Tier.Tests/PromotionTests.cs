using System.Diagnostics;
using System.Net;
using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>A tier follows its upstream's event stream: an alias move reaches the edge at once, not after the TTL.</summary>
public sealed class PromotionTests
{
    private static readonly TimeSpan Visible = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_promotion_at_the_origin_is_visible_at_the_edge_within_one_second()
    {
        // The default resolve TTL (30 s) is far longer than the bound: only following the events can meet it.
        await using var tree = await TierTree.StartAsync();
        var v1 = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/promote", 64 << 10, alias: "prod");
        var v2 = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/promote", 64 << 10);
        using var http = tree.Client();

        // The edge resolves (and caches) v1; then one untimed move makes sure it is following the events.
        Assert.Equal(v1.Version, await ResolveAtEdgeAsync(tree, http));
        await tree.OriginApi.CallAsync(HttpMethod.Put, "/v1/models/fanout/promote/aliases/prod", Promote(v2.Version));
        await Eventually.WaitAsync(async () => await ResolveAtEdgeAsync(tree, http) == v2.Version, TimeSpan.FromSeconds(30),
            () => "the edge never showed the promotion to v2" + tree.Logs);

        foreach (var target in new[] { v1, v2, v1 })
        {
            // Cached at the edge: the old target, asked twice.
            var old = await ResolveAtEdgeAsync(tree, http);
            Assert.Equal(old, await ResolveAtEdgeAsync(tree, http));
            Assert.NotEqual(target.Version, old);

            await tree.OriginApi.CallAsync(HttpMethod.Put, "/v1/models/fanout/promote/aliases/prod", Promote(target.Version));
            var clock = Stopwatch.StartNew();
            long seen;
            while ((seen = await ResolveAtEdgeAsync(tree, http)) != target.Version && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }
            var elapsed = clock.Elapsed;
            Assert.True(seen == target.Version, $"the edge still resolves prod to v{seen} 30 s after the move to v{target.Version}{tree.Logs}");
            Assert.True(elapsed <= Visible, $"the move of prod to v{target.Version} took {elapsed.TotalMilliseconds:F0} ms to show at the edge");
        }
    }

    private static System.Text.Json.Nodes.JsonObject Promote(long version) => new() { ["version"] = version, ["reason"] = "test" };

    private static async Task<long> ResolveAtEdgeAsync(TierTree tree, HttpClient http)
    {
        using var response = await http.GetAsync(tree.Edge.ControlUrl + "/v1/models/fanout/promote/aliases/prod");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"resolve at the edge: {(int)response.StatusCode} {text}{tree.Logs}");
        return Json.Parse(text).GetProperty("version").GetInt64();
    }
}
