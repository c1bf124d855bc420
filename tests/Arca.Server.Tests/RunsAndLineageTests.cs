using System.Net;
using System.Text.Json;

namespace Arca.Server.Tests;

public sealed class RunsAndLineageTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> CreateRunAsync(string json)
    {
        using var response = await _server.Admin.PostJsonAsync("/v1/runs", json);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task CreateRun_Returns201_AndGetReturnsTheSameRun()
    {
        var before = _server.Snapshot();
        using var response = await _server.Admin.PostJsonAsync("/v1/runs",
            """
            {"run_id":"train-42","dataset_version":"ds@2025-01","code_commit":"9f1c2e","container_image":"reg/train:1.4",
             "hyperparams":{"lr":0.001,"layers":[64,32],"name":"resnet"},
             "started_at":"2025-01-01T10:00:00Z","finished_at":"2025-01-01T12:30:00Z"}
            """);

        var run = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("/v1/runs/train-42", response.Headers.Location?.OriginalString);
        var fetched = await _server.Admin.GetJsonAsync("/v1/runs/train-42");
        foreach (var r in new[] { run, fetched })
        {
            Assert.Equal("train-42", r.Str("run_id"));
            Assert.Equal("ds@2025-01", r.Str("dataset_version"));
            Assert.Equal("9f1c2e", r.Str("code_commit"));
            Assert.Equal("reg/train:1.4", r.Str("container_image"));
            Assert.Equal(0.001, r.GetProperty("hyperparams").GetProperty("lr").GetDouble());
            Assert.Equal("[64,32]", r.GetProperty("hyperparams").GetProperty("layers").GetRawText());
            Assert.Equal(new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero), r.GetProperty("started_at").GetDateTimeOffset());
            Assert.Equal(new DateTimeOffset(2025, 1, 1, 12, 30, 0, TimeSpan.Zero), r.GetProperty("finished_at").GetDateTimeOffset());
            Assert.StartsWith("bootstrap-admin (", r.Str("created_by"), StringComparison.Ordinal);
        }
        Assert.Equal(before with { Runs = 1, Events = before.Events + 1, Audit = before.Audit + 1 }, _server.Snapshot());
    }

    [Fact]
    public async Task CreateRun_WithoutId_GetsAGeneratedOne()
    {
        var run = await CreateRunAsync("""{"dataset_version":"ds1"}""");

        Assert.Matches("^run-[0-9a-f]{16}$", run.Str("run_id"));
        Assert.Equal("ds1", (await _server.Admin.GetJsonAsync("/v1/runs/" + run.Str("run_id"))).Str("dataset_version"));
    }

    [Fact]
    public async Task CreateRun_ExistingId_Returns409RunExists_AndKeepsTheFirst()
    {
        await CreateRunAsync("""{"run_id":"r1","dataset_version":"first"}""");
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1","dataset_version":"second"}""");

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "RUN_EXISTS");
        Assert.Equal(before, _server.Snapshot());
        Assert.Equal("first", (await _server.Admin.GetJsonAsync("/v1/runs/r1")).Str("dataset_version"));
    }

    [Fact]
    public async Task GetRun_Unknown_Returns404RunNotFound()
    {
        using var response = await _server.Admin.GetAsync("/v1/runs/nope");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "RUN_NOT_FOUND");
    }

    [Fact]
    public async Task VersionLineage_IncludesTheRun_OrOmitsItWhenThereIsNone()
    {
        await CreateRunAsync("""{"run_id":"r1","dataset_version":"ds1","code_commit":"c1","container_image":"img1"}""");
        var withRun = await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"), ""","run_id":"r1" """);
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"));
        Assert.Equal("r1", withRun.Str("run_id"));

        var lineage = await _server.Admin.GetJsonAsync("/v1/models/fraud/versions/1/lineage");
        var none = await _server.Admin.GetJsonAsync("/v1/models/fraud/versions/2/lineage");

        Assert.Equal("fraud", lineage.Str("model"));
        Assert.Equal(1, lineage.Long("version"));
        Assert.Equal(TestHttp.Digest("a"), lineage.Str("artifact_digest"));
        var run = lineage.GetProperty("run");
        Assert.Equal(("r1", "ds1", "c1", "img1"), (run.Str("run_id"), run.Str("dataset_version"), run.Str("code_commit"), run.Str("container_image")));
        Assert.Equal(2, none.Long("version"));
        Assert.False(none.Has("run"));
    }

    [Fact]
    public async Task VersionLineage_UnknownVersion_Returns404()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));

        using var response = await _server.Admin.GetAsync("/v1/models/fraud/versions/5/lineage");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");
    }

    [Theory]
    [InlineData("dataset=ds1", new[] { "churn:1", "fraud:1", "fraud:3" })]
    [InlineData("dataset=ds2", new[] { "fraud:2" })]
    [InlineData("commit=c1", new[] { "churn:1", "fraud:1", "fraud:2", "fraud:3" })]
    [InlineData("image=img2", new[] { "churn:1", "fraud:3" })]
    [InlineData("dataset=ds1&image=img2", new[] { "churn:1", "fraud:3" })]
    [InlineData("dataset=ds1&commit=c1&image=img1", new[] { "fraud:1" })]
    [InlineData("dataset=nothing", new string[0])]
    public async Task ReverseLineage_FindsEveryVersionBuiltFromTheGivenInputs(string query, string[] expected)
    {
        await CreateRunAsync("""{"run_id":"r1","dataset_version":"ds1","code_commit":"c1","container_image":"img1"}""");
        await CreateRunAsync("""{"run_id":"r2","dataset_version":"ds2","code_commit":"c1","container_image":"img1"}""");
        await CreateRunAsync("""{"run_id":"r3","dataset_version":"ds1","code_commit":"c1","container_image":"img2"}""");
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("f1"), ""","run_id":"r1" """);
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("f2"), ""","run_id":"r2" """);
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("f3"), ""","run_id":"r3" """);
        await _server.Admin.RegisterAsync("churn", TestHttp.Digest("c1"), ""","run_id":"r3" """);
        await _server.Admin.RegisterAsync("churn", TestHttp.Digest("c2"));

        var found = await _server.Admin.GetJsonAsync("/v1/lineage?" + query);

        Assert.Equal(expected, found.GetProperty("versions").EnumerateArray().Select(v => $"{v.Str("model")}:{v.Long("version")}"));
    }

    [Fact]
    public async Task ReverseLineage_WithScopedToken_ShowsOnlyModelsInScope()
    {
        await CreateRunAsync("""{"run_id":"r1","dataset_version":"ds1"}""");
        await _server.Admin.RegisterAsync("team/a", TestHttp.Digest("a"), ""","run_id":"r1" """);
        await _server.Admin.RegisterAsync("other/b", TestHttp.Digest("b"), ""","run_id":"r1" """);
        var reader = _server.Client((await _server.CreateTokenAsync(["read"], "team/*")).Token);

        var found = await reader.GetJsonAsync("/v1/lineage?dataset=ds1");

        Assert.Equal(["team/a"], found.GetProperty("versions").EnumerateArray().Select(v => v.Str("model")));
    }

    [Fact]
    public async Task ReverseLineage_WithoutAnyInput_Returns400()
    {
        using var response = await _server.Admin.GetAsync("/v1/lineage");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
    }
}
