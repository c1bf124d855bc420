using System.Globalization;
using System.Net;
using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>A tier rides out its upstream going away: fills resume, resolves are answered stale for a bounded time.</summary>
public sealed class UpstreamFailureTests
{
    private const int MiB = PublishedVersion.MiB;

    [Fact]
    public async Task Transfers_through_the_edge_finish_bit_exact_when_the_origin_restarts_mid_fill()
    {
        // The seeder fetches from the origin through a relay at 4 MiB/s, so the fill of 32 MiB takes about 8 s.
        await using var tree = await TierTree.StartAsync(new TierTreeOptions { RelaySeederToOrigin = true });
        var relay = tree.SeederToOrigin!;
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/restart", 32 * MiB);
        relay.BytesPerSecond = 4 * MiB;
        var url = (await tree.EdgeApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath];

        using var http = BlobDownload.NewClient();
        var half = published.Size / 2;
        var whole = new[] { BlobDownload.GetAsync(http, url), BlobDownload.GetAsync(http, url) };
        var secondHalf = BlobDownload.GetAsync(http, url, (half, published.Size - 1));

        await Eventually.WaitAsync(() => relay.DownstreamBytes >= 8 * MiB, TimeSpan.FromSeconds(60),
            () => $"only {relay.DownstreamBytes} bytes came from the origin{tree.Logs}");
        var beforeKill = relay.DownstreamBytes;
        tree.Origin.Kill();
        Assert.True(beforeKill < published.Size, $"the fill was over ({beforeKill} bytes) before the origin was killed");
        Assert.False(whole.All(d => d.IsCompleted), "the downloads were over before the origin was killed");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await tree.Origin.RestartAsync();

        var results = await Task.WhenAll(whole).WaitAsync(TimeSpan.FromSeconds(150));
        foreach (var result in results)
        {
            Assert.True(result.Matches(published.Content), $"whole blob through the edge: {result}{tree.Logs}");
        }
        var range = await secondHalf.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(range.Matches(published.Content.AsSpan((int)half), partial: true), $"second half through the edge: {range}{tree.Logs}");
    }

    [Fact]
    public async Task A_blob_read_through_the_edge_is_recorded_there_and_known_after_a_restart_with_no_upstream()
    {
        // Anonymous reads at the edge: after its restart no upstream is left to check a token with.
        await using var tree = await TierTree.StartAsync(new TierTreeOptions
        {
            Edge = new Dictionary<string, string> { ["auth.anonymous_read"] = "true" },
        });
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/recorded", 3 * MiB + 17);
        var atOrigin = await tree.OriginApi.RecipeAsync(published.BlobDigest);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) }; // no token
        var recipeUrl = $"{tree.Edge.ControlUrl}/v1/blobs/{published.BlobDigest}/recipe";
        using (var cold = await http.GetAsync(recipeUrl))
        {
            Assert.True(cold.StatusCode == HttpStatusCode.OK, $"cold recipe at the edge: {(int)cold.StatusCode}{tree.Logs}");
        }

        // The edge answers a cold read before its own record of the recipe commits; the commit follows within moments.
        await Task.Delay(TimeSpan.FromSeconds(1));
        tree.Edge.Kill();
        tree.Seeder.Kill();
        tree.Origin.Kill();
        await tree.Edge.RestartAsync();

        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{tree.Edge.ControlUrl}/v1/blobs/{published.BlobDigest}")))
        {
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD at the restarted edge: {(int)head.StatusCode}{tree.Logs}");
            Assert.Equal(published.Size, head.Content.Headers.ContentLength);
        }
        using var recipe = await http.GetAsync(recipeUrl);
        var text = await recipe.Content.ReadAsStringAsync();
        Assert.True(recipe.StatusCode == HttpStatusCode.OK, $"recipe at the restarted edge: {(int)recipe.StatusCode} {text}{tree.Logs}");
        var atEdge = Json.Parse(text).GetProperty("chunks").EnumerateArray()
            .Select(c => (c.GetProperty("digest").GetString()!, c.GetProperty("offset").GetInt64(), c.GetProperty("length").GetInt32()))
            .ToList();
        Assert.Equal(atOrigin, atEdge);
    }

    [Fact]
    public async Task With_the_upstream_down_the_edge_answers_resolves_stale_with_Age_and_Warning_until_max_stale()
    {
        var tierSettings = new Dictionary<string, string> { ["tier.resolve_ttl_seconds"] = "1", ["tier.max_stale_seconds"] = "6" };
        await using var tree = await TierTree.StartAsync(new TierTreeOptions { Seeder = tierSettings, Edge = tierSettings });
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/stale", 1 * MiB, alias: "prod");
        using var http = tree.Client();
        var resolve = tree.Edge.ControlUrl + "/v1/models/fanout/stale/aliases/prod";

        using (var fresh = await http.GetAsync(resolve))
        {
            var text = await fresh.Content.ReadAsStringAsync();
            Assert.True(fresh.StatusCode == HttpStatusCode.OK, $"{(int)fresh.StatusCode} {text}{tree.Logs}");
            Assert.Equal(published.Version, Json.Parse(text).GetProperty("version").GetInt64());
            Assert.False(fresh.Headers.Contains("Warning"), "a fresh resolve says it is stale");
        }

        // The edge's upstream is the seeder; with it (and the origin behind it) gone, only the edge's memory is left.
        tree.Seeder.Kill();
        tree.Origin.Kill();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the 1 s TTL

        using (var stale = await http.GetAsync(resolve))
        {
            var text = await stale.Content.ReadAsStringAsync();
            Assert.True(stale.StatusCode == HttpStatusCode.OK, $"stale-if-error: {(int)stale.StatusCode} {text}{tree.Logs}");
            var body = Json.Parse(text);
            Assert.Equal(published.Version, body.GetProperty("version").GetInt64());
            Assert.Equal(published.ArtifactDigest, body.GetProperty("artifact_digest").GetString());
            Assert.True(stale.Headers.TryGetValues("Age", out var age), $"no Age header: {stale.Headers}");
            Assert.True(long.TryParse(age!.Single(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1,
                $"Age: {string.Join(",", age!)} (the value was last confirmed over 2 s ago)");
            Assert.True(stale.Headers.TryGetValues("Warning", out var warning), $"no Warning header: {stale.Headers}");
            Assert.Contains("110 - \"Response is Stale\"", string.Join(",", warning!), StringComparison.Ordinal);
        }

        // An alias the edge never resolved has no last known value: an upstream error, not an answer.
        using (var unknown = await http.GetAsync(tree.Edge.ControlUrl + "/v1/models/fanout/stale/aliases/canary"))
        {
            Assert.True((int)unknown.StatusCode >= 500, $"a resolve the edge cannot know answered {(int)unknown.StatusCode}");
        }

        // Past tier.max_stale_seconds the old value is no longer served.
        await Eventually.WaitAsync(async () =>
        {
            using var response = await http.GetAsync(resolve);
            return (int)response.StatusCode >= 500;
        }, TimeSpan.FromSeconds(15), () => "the edge still answered from a value older than tier.max_stale_seconds = 6" + tree.Logs);
    }
}
