using System.Net;

namespace Arca.Server.Tests;

public sealed class ModelsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Create_ValidModel_Returns201WithLocationAndFields()
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostJsonAsync("/v1/models",
            """{"name":"fraud","owner":"risk-team","task_type":"classification","description":"card fraud"}""");

        var model = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("/v1/models/fraud", response.Headers.Location?.OriginalString);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("fraud", model.Str("name"));
        Assert.Equal("risk-team", model.Str("owner"));
        Assert.Equal("classification", model.Str("task_type"));
        Assert.Equal("card fraud", model.Str("description"));
        Assert.StartsWith("bootstrap-admin (", model.Str("created_by"), StringComparison.Ordinal);
        Assert.Equal(0, model.Long("latest_version"));
        var after = _server.Snapshot();
        Assert.Equal(before with { Models = 1, Events = before.Events + 1, Audit = before.Audit + 1 }, after);
    }

    [Fact]
    public async Task Create_ExistingName_Returns409ModelExists()
    {
        await _server.Admin.CreateModelAsync("fraud");
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostJsonAsync("/v1/models", """{"name":"fraud","owner":"someone-else"}""");

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "MODEL_EXISTS");
        Assert.Equal(before, _server.Snapshot());
        Assert.Equal("", (await _server.Admin.GetJsonAsync("/v1/models/fraud")).Str("owner"));
    }

    [Fact]
    public async Task Get_ExistingModel_ReturnsItWithLatestVersion()
    {
        await _server.Admin.CreateModelAsync("fraud", ""","owner":"risk" """);
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"));

        var model = await _server.Admin.GetJsonAsync("/v1/models/fraud");

        Assert.Equal("fraud", model.Str("name"));
        Assert.Equal("risk", model.Str("owner"));
        Assert.Equal(2, model.Long("latest_version"));
    }

    [Fact]
    public async Task NamespacedName_WorksUnescapedInEveryPath()
    {
        using (var created = await _server.Admin.PostJsonAsync("/v1/models", """{"name":"team/model"}"""))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal("/v1/models/team/model", created.Headers.Location?.OriginalString);
        }

        Assert.Equal("team/model", (await _server.Admin.GetJsonAsync("/v1/models/team/model")).Str("name"));
        using (var patched = await _server.Admin.PatchJsonAsync("/v1/models/team/model", """{"owner":"ml"}"""))
        {
            Assert.Equal("ml", (await patched.ExpectAsync(HttpStatusCode.OK)).Str("owner"));
        }
        using (var registered = await _server.Admin.PostVersionAsync("team/model", TestHttp.Digest("a")))
        {
            var v = await registered.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal("/v1/models/team/model/versions/1", registered.Headers.Location?.OriginalString);
            Assert.Equal("team/model", v.Str("model"));
        }
        await _server.Admin.RegisterAsync("team/model", TestHttp.Digest("b"));
        Assert.Equal(TestHttp.Digest("a"), (await _server.Admin.GetJsonAsync("/v1/models/team/model/versions/1")).Str("artifact_digest"));
        Assert.Equal(new long[] { 2, 1 }, (await _server.Admin.GetJsonAsync("/v1/models/team/model/versions")).VersionNumbers());
        await _server.Admin.MoveAliasAsync("team/model", "prod", 2);
        Assert.Equal(2, (await _server.Admin.GetJsonAsync("/v1/models/team/model/aliases/prod")).Long("version"));
        Assert.Single((await _server.Admin.GetJsonAsync("/v1/models/team/model/aliases")).GetProperty("aliases").EnumerateArray());
        Assert.Single((await _server.Admin.GetJsonAsync("/v1/models/team/model/aliases/prod/history")).GetProperty("history").EnumerateArray());
        var comparison = await _server.Admin.GetJsonAsync("/v1/models/team/model/compare?a=1&b=2");
        Assert.Equal("team/model", comparison.Str("model"));
        Assert.Equal(1, (await _server.Admin.GetJsonAsync("/v1/models/team/model/versions/1/lineage")).Long("version"));
    }

    [Fact]
    public async Task Get_UnknownModel_Returns404ModelNotFound()
    {
        using var response = await _server.Admin.GetAsync("/v1/models/nope");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        Assert.Equal("/v1/models/nope", problem.Str("instance"));
    }

    [Fact]
    public async Task List_WithPrefix_ReturnsOnlyMatchingNamesInOrder()
    {
        foreach (var name in new[] { "b-one", "a-two", "a-one", "team/a-x", "ab" })
        {
            await _server.Admin.CreateModelAsync(name);
        }

        var all = await _server.Admin.GetJsonAsync("/v1/models");
        var prefixed = await _server.Admin.GetJsonAsync("/v1/models?prefix=a-");
        var team = await _server.Admin.GetJsonAsync("/v1/models?prefix=team/");

        Assert.Equal(["a-one", "a-two", "ab", "b-one", "team/a-x"], Names(all));
        Assert.False(all.Has("next_cursor"));
        Assert.Equal(["a-one", "a-two"], Names(prefixed));
        Assert.Equal(["team/a-x"], Names(team));
    }

    [Fact]
    public async Task List_WithLimit_PagesThroughEveryModelOnce()
    {
        var expected = Enumerable.Range(1, 7).Select(i => $"m{i:D2}").ToArray();
        foreach (var name in Enumerable.Reverse(expected))
        {
            await _server.Admin.CreateModelAsync(name);
        }

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await _server.Admin.GetJsonAsync("/v1/models?limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(Names(page));
            cursor = page.Has("next_cursor") ? page.Str("next_cursor") : null;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task List_PrefixAndPagination_Combine()
    {
        foreach (var name in new[] { "x-1", "x-2", "x-3", "y-1" })
        {
            await _server.Admin.CreateModelAsync(name);
        }

        var first = await _server.Admin.GetJsonAsync("/v1/models?prefix=x-&limit=2");
        var second = await _server.Admin.GetJsonAsync("/v1/models?prefix=x-&limit=2&cursor=" + first.Str("next_cursor"));

        Assert.Equal(["x-1", "x-2"], Names(first));
        Assert.Equal(["x-3"], Names(second));
        Assert.False(second.Has("next_cursor"));
    }

    [Fact]
    public async Task Patch_ChangesOnlyTheGivenFields_AndAppendsEventAndAudit()
    {
        await _server.Admin.CreateModelAsync("fraud", ""","owner":"risk","task_type":"classification","description":"old" """);
        var before = _server.Snapshot();

        using var response = await _server.Admin.PatchJsonAsync("/v1/models/fraud", """{"description":"new"}""");

        var model = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("risk", model.Str("owner"));
        Assert.Equal("classification", model.Str("task_type"));
        Assert.Equal("new", model.Str("description"));
        Assert.Equal("new", (await _server.Admin.GetJsonAsync("/v1/models/fraud")).Str("description"));
        Assert.Equal(before with { Events = before.Events + 1, Audit = before.Audit + 1 }, _server.Snapshot());
        var events = await _server.Admin.GetJsonAsync($"/v1/events?after={before.Events}");
        var e = Assert.Single(events.GetProperty("events").EnumerateArray());
        Assert.Equal("model.updated", e.Str("type"));
        Assert.Equal("fraud", e.Str("model"));
        Assert.Equal("new", e.GetProperty("payload").Str("description"));
    }

    [Fact]
    public async Task Patch_UnknownModel_Returns404AndCreatesNothing()
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.PatchJsonAsync("/v1/models/ghost", """{"owner":"x"}""");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        Assert.Equal(before, _server.Snapshot());
    }

    private static string[] Names(System.Text.Json.JsonElement list) =>
        [.. list.GetProperty("models").EnumerateArray().Select(m => m.Str("name"))];
}
