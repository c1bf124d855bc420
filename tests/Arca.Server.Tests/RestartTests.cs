using System.Net;

namespace Arca.Server.Tests;

public sealed class RestartTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Every read that shows durable state, as raw JSON text.</summary>
    private static readonly string[] StatePaths =
    [
        "/v1/models?limit=1000",
        "/v1/models/fraud",
        "/v1/models/team/churn",
        "/v1/models/fraud/versions?limit=1000",
        "/v1/models/fraud/versions?sort=-metrics.f1",
        "/v1/models/fraud/versions/1",
        "/v1/models/fraud/versions/2/lineage",
        "/v1/models/fraud/compare?a=1&b=3",
        "/v1/models/fraud/aliases",
        "/v1/models/fraud/aliases/prod",
        "/v1/models/fraud/aliases/prod/history",
        "/v1/models/fraud/aliases/staging/history",
        "/v1/runs/r1",
        "/v1/lineage?dataset=ds1",
        "/v1/events?after=0&limit=1000",
        "/v1/audit?limit=1000",
        "/v1/audit/verify",
        "/v1/tokens",
    ];

    private async Task<Dictionary<string, string>> CaptureAsync()
    {
        var state = new Dictionary<string, string>();
        foreach (var path in StatePaths)
        {
            using var response = await _server.Admin.GetAsync(path);
            await response.ExpectAsync(HttpStatusCode.OK);
            state[path] = await response.Content.ReadAsStringAsync();
        }
        return state;
    }

    [Fact]
    public async Task Restart_KeepsModelsVersionsAliasesHistoryEventsTokensAndTheAuditChain()
    {
        await _server.Admin.CreateModelAsync("fraud", ""","owner":"risk","description":"card fraud" """);
        using (var run = await _server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1","dataset_version":"ds1","hyperparams":{"lr":0.1}}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"), ""","metrics":{"f1":0.5},"tags":{"env":"dev"}""");
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"), ""","run_id":"r1","metrics":{"f1":0.9},"params":{"lr":0.1}""");
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("c"), ""","metrics":{"f1":0.7}""");
        await _server.Admin.RegisterAsync("team/churn", TestHttp.Digest("d"));
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1, "first");
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2, "better");
        await _server.Admin.MoveAliasAsync("fraud", "staging", 3);
        using (var deleted = await _server.Admin.DeleteAsync("/v1/models/fraud/aliases/staging?reason=done"))
        {
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }
        var writer = await _server.CreateTokenAsync(["write", "promote"], "fraud", "ci");
        var revoked = await _server.CreateTokenAsync(["read"], "*", "old");
        using (var revoke = await _server.Admin.DeleteAsync("/v1/tokens/" + revoked.Id))
        {
            await revoke.ExpectAsync(HttpStatusCode.OK);
        }
        var adminToken = _server.AdminToken;
        var snapshot = _server.Snapshot();
        var before = await CaptureAsync();

        await _server.RestartAsync();

        Assert.Equal(adminToken, _server.AdminToken); // the bootstrap token is not rewritten
        Assert.Equal(snapshot, _server.Snapshot());
        var after = await CaptureAsync();
        foreach (var path in StatePaths)
        {
            Assert.True(before[path] == after[path], $"{path} changed across the restart:\n{before[path]}\n{after[path]}");
        }
        var prod = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod");
        Assert.Equal((2, 2), (prod.Long("version"), prod.Long("revision")));
        var verify = await _server.Admin.GetJsonAsync("/v1/audit/verify");
        Assert.True(verify.GetProperty("intact").GetBoolean());

        // Tokens: the created one still works with its roles and scope, the revoked one still does not.
        var ci = _server.Client(writer.Token);
        var v4 = await ci.RegisterAsync("fraud", TestHttp.Digest("e"));
        Assert.Equal(4, v4.Long("version"));
        var moved = await ci.MoveAliasAsync("fraud", "prod", 4, "after restart", ifMatch: "\"2\"");
        Assert.Equal(3, moved.Long("revision"));
        using (var outOfScope = await ci.PostVersionAsync("team/churn", TestHttp.Digest("f")))
        {
            await outOfScope.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
        using (var rejected = await _server.Client(revoked.Token).GetAsync("/v1/models"))
        {
            await rejected.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        // Event seqs and the audit chain continue where they stopped.
        var events = await _server.Admin.GetJsonAsync($"/v1/events?after={snapshot.Events}");
        Assert.Equal(new[] { snapshot.Events + 1, snapshot.Events + 2 }, events.GetProperty("events").EnumerateArray().Select(e => e.Long("seq")));
        var verifyAfterWrites = await _server.Admin.GetJsonAsync("/v1/audit/verify");
        Assert.True(verifyAfterWrites.GetProperty("intact").GetBoolean());
        Assert.Equal(snapshot.Audit + 2, verifyAfterWrites.Long("checked"));
    }

    [Fact]
    public async Task Restart_ResolveCacheIsNotStale_AndLongPollFromTheOldSeqStillWorks()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"));
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        Assert.Equal(1, (await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod")).Long("version"));
        var last = _server.Services.Events.LastSeq();

        await _server.RestartAsync();
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);

        Assert.Equal(2, (await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod")).Long("version"));
        var events = await _server.Admin.GetJsonAsync($"/v1/events?after={last}&wait=5");
        var e = Assert.Single(events.GetProperty("events").EnumerateArray());
        Assert.Equal((last + 1, "alias.moved"), (e.Long("seq"), e.Str("type")));
    }

    [Fact]
    public async Task TwoRestarts_InARow_KeepTheSameData()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));

        await _server.RestartAsync();
        await _server.RestartAsync();

        Assert.Equal(1, (await _server.Admin.GetJsonAsync("/v1/models/fraud")).Long("latest_version"));
        Assert.Equal(2, (await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("b"))).Long("version"));
    }
}
