using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>
/// A tier speaks the origin's read API with the origin's tokens, sends writes up the tree, and reports and controls
/// what it holds (<c>/v1/tier/status</c>, <c>/v1/prewarm</c>, <c>arca promote --wait-warm</c>).
/// </summary>
public sealed class TierApiTests(TierTreeFixture fixture) : IClassFixture<TierTreeFixture>
{
    private const int MiB = PublishedVersion.MiB;
    private static readonly TimeSpan WarmTimeout = TimeSpan.FromSeconds(60);

    private TierTree Tree => fixture.Tree;

    public static TheoryData<string, string, string> Writes => new()
    {
        { "POST", "/v1/models", "{\"name\":\"fanout/redirected\"}" },
        { "PATCH", "/v1/models/fanout/redirected", "{\"description\":\"x\"}" },
        { "POST", "/v1/models/fanout/redirected/versions", "{\"artifact_digest\":\"sha256:" + new string('0', 64) + "\"}" },
        { "PUT", "/v1/models/fanout/redirected/aliases/prod?probe=1", "{\"version\":1,\"reason\":\"r\"}" },
        { "DELETE", "/v1/models/fanout/redirected/aliases/prod?reason=gone", "" },
        { "POST", "/v1/blobs/uploads", "" },
        { "PUT", "/v1/blobs?digest=sha256:" + new string('1', 64), "bytes" },
        { "POST", "/v1/runs", "{\"run_id\":\"redirected\"}" },
        { "POST", "/v1/tokens", "{\"name\":\"redirected\",\"roles\":[\"read\"]}" },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task A_write_at_a_tier_is_a_307_to_the_same_path_and_query_at_its_upstream(string method, string pathAndQuery, string body)
    {
        using var http = Tree.Client();
        foreach (var (tier, upstream) in new[] { (Tree.Edge, Tree.Seeder), (Tree.Seeder, Tree.Origin) })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), tier.ControlUrl + pathAndQuery);
            if (body.Length > 0)
            {
                request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "application/octet-stream");
            }
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.TemporaryRedirect,
                $"{method} {pathAndQuery} at the {tier.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(new Uri(upstream.ControlUrl + pathAndQuery), response.Headers.Location);
        }
        // Nothing was written on the way: the origin never heard of the model.
        using var model = await Tree.OriginApi.SendAsync(HttpMethod.Get, "/v1/models/fanout/redirected");
        Assert.Equal(HttpStatusCode.NotFound, model.StatusCode);
    }

    [Fact]
    public async Task The_edge_serves_the_read_API_of_the_origin_with_an_origin_read_token()
    {
        var published = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/read", 6 * MiB + 123, alias: "prod");
        var readToken = (await Tree.OriginApi.CallAsync(HttpMethod.Post, "/v1/tokens",
            new System.Text.Json.Nodes.JsonObject { ["name"] = "node", ["roles"] = new System.Text.Json.Nodes.JsonArray("read"), ["models"] = "fanout/*" }))
            .GetProperty("token").GetString()!;
        using var edge = new TierApi(Tree.Edge, readToken);
        using var origin = new TierApi(Tree.Origin, readToken);

        foreach (var path in new[]
        {
            "/v1/models/fanout/read/aliases/prod", $"/v1/models/fanout/read/versions/{published.Version}", "/v1/models/fanout/read/versions",
            $"/v1/manifests/{published.ArtifactDigest}", $"/v1/blobs/{published.BlobDigest}/recipe",
        })
        {
            var atEdge = await edge.GetAsync(path);
            var atOrigin = await origin.GetAsync(path);
            Assert.True(Same(atOrigin, atEdge), $"GET {path}\n at the origin: {atOrigin}\n at the edge:   {atEdge}");
        }
        using (var head = await edge.SendAsync(HttpMethod.Head, $"/v1/blobs/{published.BlobDigest}"))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(published.Size, head.Content.Headers.ContentLength);
        }
        using (var missing = await edge.SendAsync(HttpMethod.Head, "/v1/blobs/sha256:" + new string('2', 64)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        using (var anonymous = new HttpClient())
        {
            using var response = await anonymous.GetAsync(Tree.Edge.ControlUrl + "/v1/models/fanout/read/aliases/prod");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Ranges on the edge's own data plane, cold and then warm.
        var url = (await edge.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath];
        Assert.StartsWith(Tree.Edge.DataUrl + "/", url, StringComparison.Ordinal);
        using var http = BlobDownload.NewClient();
        foreach (var (from, to) in new[] { (1_000_000L, 3_500_000L), (0L, 0L), (published.Size - 10, published.Size - 1), (0L, published.Size - 1) })
        {
            var range = await BlobDownload.GetAsync(http, url, (from, to));
            Assert.True(range.Matches(published.Content.AsSpan((int)from, (int)(to - from + 1)), partial: true), $"bytes={from}-{to}: {range}");
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            request.Headers.Range = new RangeHeaderValue(published.Size, published.Size + 5);
            using var beyond = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        }
        var whole = await BlobDownload.GetAsync(http, url);
        Assert.True(whole.Matches(published.Content), $"{whole}{Tree.Logs}");
    }

    [Fact]
    public async Task Arca_pull_through_the_edge_is_bit_exact_and_the_edge_then_reports_the_version_warm()
    {
        var source = TempDir.Create("model");
        var target = TempDir.Create("pulled");
        var files = new Dictionary<string, int> { ["config.json"] = 1_234, ["weights/model.safetensors"] = 12 * MiB + 7, ["tokenizer.json"] = 300_001 };
        foreach (var (path, size) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
            File.WriteAllBytes(Path.Combine(source, path), RandomNumberGenerator.GetBytes(size));
        }
        using var cli = new ArcaCli(Tree.Origin.ControlUrl, Tree.Token);
        try
        {
            var push = await cli.RunAsync("push", source, "--model", "fanout/pull", "--alias", "prod", "--json");
            Assert.True(push.ExitCode == 0, push.ToString());
            var version = push.Json.GetProperty("version").GetInt64();
            var artifact = push.Json.GetProperty("artifact_digest").GetString();

            var pull = await cli.RunAsync(TimeSpan.FromSeconds(120), "pull", "fanout/pull@prod", target, "--url", Tree.Edge.ControlUrl, "--token", Tree.Token);
            Assert.True(pull.ExitCode == 0, pull + Tree.Logs);
            foreach (var path in files.Keys)
            {
                Assert.True(File.ReadAllBytes(Path.Combine(source, path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(target, path))),
                    $"{path} pulled through the edge differs from what was pushed");
            }

            var status = await Tree.EdgeApi.StatusAsync("fanout/pull", version);
            var entry = status.Version("fanout/pull", version);
            Assert.True(entry is not null, $"?model=fanout/pull&version={version} lists no such version: {status}");
            Assert.Equal(artifact, entry.Value.GetProperty("digest").GetString());
            Assert.True(entry.Value.GetProperty("warm").GetBoolean(), $"after a pull the edge should hold the whole version: {status}");
            Assert.Equal(files.Values.Sum(), entry.Value.GetProperty("bytes").GetInt64());
            Assert.Equal(entry.Value.GetProperty("bytes").GetInt64(), entry.Value.GetProperty("held_bytes").GetInt64());
            Assert.Equal("edge", status.Mode);
            Assert.Equal(Tree.Seeder.ControlUrl, status.Json.GetProperty("upstream").GetString()?.TrimEnd('/'));
        }
        finally
        {
            TempDir.Delete(source);
            TempDir.Delete(target);
        }
    }

    [Fact]
    public async Task The_seeder_prewarms_aliased_versions_by_default_and_the_edge_prewarms_on_request()
    {
        var published = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/prewarm", 8 * MiB, alias: "staging");

        // tier.prewarm_aliases = auto: the seeder fetches every aliased version by itself, the edge none.
        await Tree.SeederApi.WaitWarmAsync(published.Model, published.Version, WarmTimeout);
        var cold = await Tree.EdgeApi.StatusAsync(published.Model, published.Version);
        var entry = cold.Version(published.Model, published.Version);
        Assert.True(entry is not null, $"the edge should look the version up through its upstream: {cold}");
        Assert.False(entry.Value.GetProperty("warm").GetBoolean(), $"the edge pre-warmed an alias by default: {cold}");
        Assert.Equal(0, entry.Value.GetProperty("held_bytes").GetInt64());
        Assert.Equal(published.Size, entry.Value.GetProperty("bytes").GetInt64());

        await Tree.EdgeApi.PrewarmAsync(published.Model, published.Version);
        await Tree.EdgeApi.WaitWarmAsync(published.Model, published.Version, WarmTimeout);
        var warm = (await Tree.EdgeApi.StatusAsync(published.Model, published.Version)).Version(published.Model, published.Version)!.Value;
        Assert.Equal(published.Size, warm.GetProperty("held_bytes").GetInt64());

        // What was pre-warmed is served without going upstream again.
        var before = await Tree.EdgeApi.StatusAsync();
        using var http = BlobDownload.NewClient();
        var download = await BlobDownload.GetAsync(http, (await Tree.EdgeApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath]);
        Assert.True(download.Matches(published.Content), download.ToString());
        var after = await Tree.EdgeApi.StatusAsync();
        Assert.Equal(before.UpstreamFetches, after.UpstreamFetches);
        Assert.True(after.Counter("cache_hits") > before.Counter("cache_hits"), $"{before}\n{after}");

        using var metrics = await Tree.EdgeApi.SendAsync(HttpMethod.Get, "/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("arca_tier_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_with_wait_warm_moves_the_alias_only_once_the_edge_holds_the_version()
    {
        var v1 = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/waitwarm", 2 * MiB, alias: "prod");
        var v2 = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/waitwarm", 12 * MiB);
        using var cli = new ArcaCli(Tree.Origin.ControlUrl, Tree.Token);

        var promote = await cli.RunAsync(TimeSpan.FromSeconds(120), "promote", "fanout/waitwarm", v2.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--alias", "prod", "--wait-warm", Tree.Edge.ControlUrl, Tree.Seeder.ControlUrl);
        Assert.True(promote.ExitCode == 0, promote + Tree.Logs);

        foreach (var tier in new[] { Tree.EdgeApi, Tree.SeederApi })
        {
            var status = await tier.StatusAsync(v2.Model, v2.Version);
            Assert.True(status.Version(v2.Model, v2.Version) is { } entry && entry.GetProperty("warm").GetBoolean(),
                $"promote --wait-warm returned before the {tier.Server.Name} was warm: {status}");
        }
        var resolved = await Tree.OriginApi.GetAsync("/v1/models/fanout/waitwarm/aliases/prod");
        Assert.Equal(v2.Version, resolved.GetProperty("version").GetInt64());
        Assert.NotEqual(v1.Version, v2.Version);
    }

    [Fact]
    public async Task A_manifest_or_recipe_fetched_for_a_read_below_makes_the_tier_start_filling_the_bytes()
    {
        // What an edge sends up when its client asked for download URLs (manifest) or for a blob it lacks (recipe):
        // the seeder starts on those bytes at once. A plain manifest read (arca show, diff) moves no bytes.
        var plain = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/prefetch-plain", 3 * MiB + 17);
        var manifest = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/prefetch-manifest", 3 * MiB + 29);
        var recipe = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/prefetch-recipe", 3 * MiB + 31);
        using var http = Tree.Client();
        foreach (var (path, prefetch) in new[]
        {
            ($"/v1/manifests/{plain.ArtifactDigest}", false),
            ($"/v1/manifests/{manifest.ArtifactDigest}", true),
            ($"/v1/blobs/{recipe.BlobDigest}/recipe", true),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Tree.Seeder.ControlUrl + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tree.Token);
            if (prefetch)
            {
                request.Headers.Add("X-Arca-Prefetch", "1");
            }
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        long Held(TierStatus status, PublishedVersion v) => status.Version(v.Model, v.Version)?.GetProperty("held_bytes").GetInt64() ?? -1;
        foreach (var marked in new[] { manifest, recipe })
        {
            TierStatus? last = null;
            await Eventually.WaitAsync(async () => Held(last = await Tree.SeederApi.StatusAsync(marked.Model, marked.Version), marked) > 0,
                TimeSpan.FromSeconds(20), () => $"the seeder did not start filling {marked.Model}: {last}");
        }
        await Task.Delay(500);
        var status = await Tree.SeederApi.StatusAsync(plain.Model, plain.Version);
        Assert.True(Held(status, plain) == 0, $"a plain manifest read filled bytes: {status}");
    }

    [Fact]
    public async Task A_tier_whose_upstream_token_is_rejected_says_so_in_its_log_at_start()
    {
        await using var edge = await ArcaProcess.StartAsync("edge-bad-token", "edge", Tree.Origin.ControlUrl,
            "arca_000000000000_not-a-real-token");
        await Eventually.WaitAsync(() => edge.Output.Contains("rejects tier.upstream_token (401)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), () => "no startup error about the rejected token:\n" + edge.Output);
        await using var good = await ArcaProcess.StartAsync("edge-good-token", "edge", Tree.Origin.ControlUrl, Tree.Token);
        await Task.Delay(1000);
        Assert.DoesNotContain("rejects tier.upstream_token", good.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_the_edge_never_saw_reads_its_data_plane_at_the_first_request_and_a_bad_one_gets_403()
    {
        var published = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/fresh-token", 2 * MiB + 5);
        var fresh = (await Tree.OriginApi.CallAsync(HttpMethod.Post, "/v1/tokens",
            new System.Text.Json.Nodes.JsonObject { ["name"] = "fresh-node", ["roles"] = new System.Text.Json.Nodes.JsonArray("read"), ["models"] = "*" }))
            .GetProperty("token").GetString()!;
        using var http = BlobDownload.NewClient();
        var url = $"{Tree.Edge.DataUrl}/blobs/{published.BlobDigest.Replace("sha256:", "sha256/", StringComparison.Ordinal)}";
        foreach (var (token, expected) in new[] { (fresh, HttpStatusCode.OK), (fresh[..^3] + "xyz", HttpStatusCode.Forbidden) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}");
            if (expected == HttpStatusCode.OK)
            {
                Assert.Equal(published.BlobDigest, PublishedVersion.Sha256(body));
            }
        }
    }

    [Fact]
    public async Task A_bad_token_for_a_cold_blob_gets_403_and_no_byte_of_it_moves_to_the_tiers()
    {
        // A token the edge never saw is checked upstream before anything else: no fill may start for a bad one (a
        // cache-filling amplifier for anyone who knows a digest).
        var published = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/bad-token-cold", 3 * MiB + 7);
        using var http = BlobDownload.NewClient();
        var url = $"{Tree.Edge.DataUrl}/blobs/{published.BlobDigest.Replace("sha256:", "sha256/", StringComparison.Ordinal)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "arca_000000000000_not-a-real-token");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        await Task.Delay(1000);
        foreach (var (name, api) in new[] { ("edge", Tree.EdgeApi), ("seeder", Tree.SeederApi) })
        {
            var status = await api.StatusAsync(published.Model, published.Version);
            var held = status.Version(published.Model, published.Version)?.GetProperty("held_bytes").GetInt64();
            Assert.True(held == 0, $"the {name} holds {held?.ToString() ?? "(no entry)"} bytes of a blob only a bad token asked for: {status}");
        }
    }

    [Fact]
    public async Task A_token_revoked_at_the_origin_stops_working_on_the_edge_data_plane_within_seconds()
    {
        var published = await PublishedVersion.PublishAsync(Tree.OriginApi, "fanout/revoked-token", MiB + 3);
        var created = await Tree.OriginApi.CallAsync(HttpMethod.Post, "/v1/tokens",
            new System.Text.Json.Nodes.JsonObject { ["name"] = "soon-revoked", ["roles"] = new System.Text.Json.Nodes.JsonArray("read"), ["models"] = "*" });
        var token = created.GetProperty("token").GetString()!;
        using var http = BlobDownload.NewClient();
        var url = $"{Tree.Edge.DataUrl}/blobs/{published.BlobDigest.Replace("sha256:", "sha256/", StringComparison.Ordinal)}";
        async Task<HttpStatusCode> GetAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await GetAsync()); // known to the edge (and the seeder) from now on

        await Tree.OriginApi.CallAsync(HttpMethod.Delete, "/v1/tokens/" + created.GetProperty("id").GetString());
        // The tiers follow the origin's event stream and drop the token when its token.revoked event arrives. (Without
        // the event, the periodic re-check would take at least 10 s after the edge's check above: more than allowed here.)
        var started = DateTime.UtcNow;
        var status = HttpStatusCode.OK;
        await Eventually.WaitAsync(async () => (status = await GetAsync()) == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(8),
            () => $"the edge still answers {(int)status} for a token revoked at the origin {(DateTime.UtcNow - started).TotalSeconds:0} s ago");
    }

    private static bool Same(System.Text.Json.JsonElement a, System.Text.Json.JsonElement b) =>
        System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a.GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(b.GetRawText()));
}
