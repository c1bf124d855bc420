using System.Net;
using System.Net.Http.Headers;

namespace Arca.Server.Tests;

public sealed class VersionsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await _server.Admin.CreateModelAsync("fraud");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Register_FirstVersion_Returns201WithNumberOneAndEverythingRecorded()
    {
        var digest = TestHttp.Digest("v1");
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostVersionAsync("fraud", digest,
            ""","framework":"pytorch","metrics":{"f1":0.91,"auc":0.5},"params":{"lr":0.001,"optimizer":"adam","layers":[64,32]},"tags":{"env":"dev"}""");

        var v = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("/v1/models/fraud/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal("fraud", v.Str("model"));
        Assert.Equal(1, v.Long("version"));
        Assert.Equal(digest, v.Str("artifact_digest"));
        Assert.Equal("pytorch", v.Str("framework"));
        Assert.Equal(0.91, v.GetProperty("metrics").GetProperty("f1").GetDouble());
        Assert.Equal("adam", v.GetProperty("params").Str("optimizer"));
        Assert.Equal("[64,32]", v.GetProperty("params").GetProperty("layers").GetRawText());
        Assert.Equal("dev", v.GetProperty("tags").Str("env"));
        Assert.Equal("registered", v.Str("status"));
        Assert.StartsWith("bootstrap-admin (", v.Str("created_by"), StringComparison.Ordinal);
        Assert.False(v.Has("run_id"));
        // 2 metrics + 3 params + 1 tag in the side tables, one event, one audit row.
        Assert.Equal(before with { Versions = 1, Events = before.Events + 1, Audit = before.Audit + 1, SideRows = 6 }, _server.Snapshot());
        Assert.Equal(1, (await _server.Admin.GetJsonAsync("/v1/models/fraud")).Long("latest_version"));
    }

    [Fact]
    public async Task Register_NextVersions_GetConsecutiveNumbers()
    {
        var numbers = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            numbers.Add((await _server.Admin.RegisterAsync("fraud", TestHttp.Digest($"d{i}"))).Long("version"));
        }

        Assert.Equal(new long[] { 1, 2, 3, 4 }, numbers);
    }

    [Fact]
    public async Task Register_OnModelNotYetCreated_CreatesItImplicitly()
    {
        var v = await _server.Admin.RegisterAsync("implicit", TestHttp.Digest("x"));

        Assert.Equal(1, v.Long("version"));
        var model = await _server.Admin.GetJsonAsync("/v1/models/implicit");
        Assert.Equal(1, model.Long("latest_version"));
    }

    [Fact]
    public async Task Get_Version_IsImmutableCacheable_WithDigestEtag_And304OnIfNoneMatch()
    {
        var digest = TestHttp.Digest("v1");
        await _server.Admin.RegisterAsync("fraud", digest, ""","metrics":{"f1":0.5}""");

        using var response = await _server.Admin.GetAsync("/v1/models/fraud/versions/1");
        var v = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(digest, v.Str("artifact_digest"));
        Assert.Equal("public, max-age=31536000, immutable", response.RawHeader("Cache-Control"));
        Assert.Equal($"\"{digest}\"", response.RawHeader("ETag"));

        using var conditional = await _server.Admin.SendAsync(HttpMethod.Get, "/v1/models/fraud/versions/1",
            configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"{digest}\""));
        Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
        Assert.Empty(await conditional.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{digest}\"", conditional.RawHeader("ETag"));

        using var otherTag = await _server.Admin.SendAsync(HttpMethod.Get, "/v1/models/fraud/versions/1",
            configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"sha256:other\"")));
        await otherTag.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Get_UnknownVersion_Returns404VersionNotFound()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("v1"));

        using var response = await _server.Admin.GetAsync("/v1/models/fraud/versions/2");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");
    }

    [Fact]
    public async Task Register_SameDigestTwice_Returns409WithTheExistingVersion()
    {
        var digest = TestHttp.Digest("v1");
        await _server.Admin.RegisterAsync("fraud", digest, ""","metrics":{"f1":0.5}""");
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostVersionAsync("fraud", digest, ""","metrics":{"f1":0.9}""");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict, "VERSION_EXISTS");
        var existing = problem.GetProperty("existing");
        Assert.Equal(1, existing.Long("version"));
        Assert.Equal(digest, existing.Str("artifact_digest"));
        Assert.Equal(0.5, existing.GetProperty("metrics").GetProperty("f1").GetDouble());
        Assert.Equal("/v1/models/fraud/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task SameDigest_OnAnotherModel_IsAnIndependentVersion()
    {
        var digest = TestHttp.Digest("shared");
        await _server.Admin.RegisterAsync("fraud", digest);

        var other = await _server.Admin.RegisterAsync("churn", digest);

        Assert.Equal(1, other.Long("version"));
    }

    [Fact]
    public async Task Register_50InParallel_GetVersions1To50WithoutGapOrDuplicate()
    {
        var tasks = Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await _server.Admin.PostVersionAsync("fraud", TestHttp.Digest($"parallel-{i}"));
            var v = await response.ExpectAsync(HttpStatusCode.Created);
            return (Digest: v.Str("artifact_digest"), Version: v.Long("version"));
        }).ToList();

        var results = await Task.WhenAll(tasks);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), results.Select(r => r.Version).Order());
        Assert.Equal(50, results.Select(r => r.Digest).Distinct().Count());
        var listed = await _server.Admin.GetJsonAsync("/v1/models/fraud/versions?limit=1000&sort=version");
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), listed.VersionNumbers());
        foreach (var (digest, version) in results)
        {
            Assert.Equal(digest, (await _server.Admin.GetJsonAsync($"/v1/models/fraud/versions/{version}")).Str("artifact_digest"));
        }
        Assert.Equal(50, (await _server.Admin.GetJsonAsync("/v1/models/fraud")).Long("latest_version"));
    }

    [Fact]
    public async Task Register_SameDigest50InParallel_ExactlyOneCreated_Others409WithExisting()
    {
        var digest = TestHttp.Digest("contended");
        var before = _server.Snapshot();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await _server.Admin.PostVersionAsync("fraud", digest);
            return (Status: response.StatusCode, Body: TestHttp.Parse(await response.Content.ReadAsStringAsync()));
        }));

        var created = Assert.Single(responses, r => r.Status == HttpStatusCode.Created);
        Assert.Equal(1, created.Body.Long("version"));
        var conflicts = responses.Where(r => r.Status != HttpStatusCode.Created).ToList();
        Assert.Equal(49, conflicts.Count);
        Assert.All(conflicts, c =>
        {
            Assert.Equal(HttpStatusCode.Conflict, c.Status);
            Assert.Equal("VERSION_EXISTS", c.Body.Str("code"));
            Assert.Equal(1, c.Body.GetProperty("existing").Long("version"));
            Assert.Equal(digest, c.Body.GetProperty("existing").Str("artifact_digest"));
        });
        Assert.Equal(before with { Versions = 1, Events = before.Events + 1, Audit = before.Audit + 1 }, _server.Snapshot());
    }

    [Fact]
    public async Task Compare_ReportsMetricDeltasAndParamTagAndLineageDifferences()
    {
        using (var run = await _server.Admin.PostJsonAsync("/v1/runs",
            """{"run_id":"r1","dataset_version":"ds-1","code_commit":"abc","container_image":"img:1"}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }
        using (var run = await _server.Admin.PostJsonAsync("/v1/runs",
            """{"run_id":"r2","dataset_version":"ds-2","code_commit":"abc","container_image":"img:1"}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"),
            ""","run_id":"r1","framework":"pytorch","metrics":{"f1":0.5,"loss":2},"params":{"lr":0.1,"depth":3},"tags":{"env":"dev"}""");
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"),
            ""","run_id":"r2","framework":"pytorch","metrics":{"f1":0.75,"auc":0.25},"params":{"lr":0.01,"depth":3},"tags":{"env":"prod"}""");

        var c = await _server.Admin.GetJsonAsync("/v1/models/fraud/compare?a=1&b=2");

        Assert.Equal(1, c.GetProperty("a").Long("version"));
        Assert.Equal(2, c.GetProperty("b").Long("version"));
        var metrics = c.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.Str("key"));
        Assert.Equal(["auc", "f1", "loss"], metrics.Keys.Order());
        Assert.Equal(0.25, metrics["f1"].GetProperty("delta").GetDouble());
        Assert.Equal(0.5, metrics["f1"].GetProperty("a").GetDouble());
        Assert.Equal(0.75, metrics["f1"].GetProperty("b").GetDouble());
        Assert.False(metrics["auc"].Has("a"));
        Assert.False(metrics["auc"].Has("delta"));
        Assert.False(metrics["loss"].Has("b"));
        var parameters = c.GetProperty("params").EnumerateArray().ToDictionary(p => p.Str("key"));
        Assert.True(parameters["lr"].GetProperty("changed").GetBoolean());
        Assert.False(parameters["depth"].GetProperty("changed").GetBoolean());
        var tags = c.GetProperty("tags").EnumerateArray().ToDictionary(p => p.Str("key"));
        Assert.True(tags["env"].GetProperty("changed").GetBoolean());
        var lineage = c.GetProperty("lineage").EnumerateArray().ToDictionary(p => p.Str("key"));
        Assert.True(lineage["run_id"].GetProperty("changed").GetBoolean());
        Assert.True(lineage["dataset_version"].GetProperty("changed").GetBoolean());
        Assert.Equal("ds-1", lineage["dataset_version"].GetProperty("a").GetString());
        Assert.Equal("ds-2", lineage["dataset_version"].GetProperty("b").GetString());
        Assert.False(lineage["code_commit"].GetProperty("changed").GetBoolean());
        Assert.False(lineage["container_image"].GetProperty("changed").GetBoolean());
        Assert.False(lineage["framework"].GetProperty("changed").GetBoolean());
        Assert.True(lineage["artifact_digest"].GetProperty("changed").GetBoolean());
    }

    [Fact]
    public async Task Compare_UnknownVersion_Returns404()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));

        using var response = await _server.Admin.GetAsync("/v1/models/fraud/compare?a=1&b=7");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");
        Assert.Contains("7", problem.Str("detail"), StringComparison.Ordinal);
    }
}
