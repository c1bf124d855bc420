using System.Net;
using System.Text.Json;

namespace Arca.Server.Tests;

public sealed class AliasesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(T0);
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(time: _clock);
        for (var i = 1; i <= 3; i++)
        {
            await _server.Admin.RegisterAsync("fraud", TestHttp.Digest($"v{i}"));
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Move_NewAlias_CreatesItAtRevisionOne()
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.PutAliasAsync("fraud", "prod", 2, "first release");

        var target = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("fraud", target.Str("model"));
        Assert.Equal("prod", target.Str("alias"));
        Assert.Equal(2, target.Long("version"));
        Assert.Equal(TestHttp.Digest("v2"), target.Str("artifact_digest"));
        Assert.Equal(1, target.Long("revision"));
        Assert.Equal("\"1\"", response.RawHeader("ETag"));
        Assert.Equal(before with
        {
            Aliases = 1,
            AliasHistory = 1,
            Events = before.Events + 1,
            Audit = before.Audit + 1,
        }, _server.Snapshot());
    }

    [Fact]
    public async Task Resolve_ReturnsTarget_WithRevisionEtagAndShortCacheControl_And304WhenUnchanged()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);

        using var response = await _server.Admin.GetAsync("/v1/models/fraud/aliases/prod");
        var target = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, target.Long("version"));
        Assert.Equal(TestHttp.Digest("v1"), target.Str("artifact_digest"));
        Assert.Equal(1, target.Long("revision"));
        Assert.Equal("\"1\"", response.RawHeader("ETag"));
        Assert.Equal($"max-age={_server.Options.ResolveMaxAgeSeconds}", response.RawHeader("Cache-Control"));
        // The hot path answers with a Content-Length (one write, no chunked framing).
        Assert.Null(response.Headers.TransferEncodingChunked);
        Assert.True(response.Content.Headers.ContentLength > 0);

        using var unchanged = await _server.Admin.SendAsync(HttpMethod.Get, "/v1/models/fraud/aliases/prod",
            configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal("\"1\"", unchanged.RawHeader("ETag"));

        await _server.Admin.MoveAliasAsync("fraud", "prod", 3);
        using var changed = await _server.Admin.SendAsync(HttpMethod.Get, "/v1/models/fraud/aliases/prod",
            configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"1\""));
        var moved = await changed.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(3, moved.Long("version"));
        Assert.Equal(2, moved.Long("revision"));
        Assert.Equal("\"2\"", changed.RawHeader("ETag"));
    }

    [Fact]
    public async Task Move_WithMatchingIfMatch_Succeeds_AndBumpsRevision()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);

        var moved = await _server.Admin.MoveAliasAsync("fraud", "prod", 2, "promote", ifMatch: "\"1\"");
        var again = await _server.Admin.MoveAliasAsync("fraud", "prod", 3, "promote", ifMatch: "2");
        var weak = await _server.Admin.MoveAliasAsync("fraud", "prod", 1, "rollback", ifMatch: "W/\"3\"");
        var any = await _server.Admin.MoveAliasAsync("fraud", "prod", 2, "any", ifMatch: "*");

        Assert.Equal((2, 2), (moved.Long("version"), moved.Long("revision")));
        Assert.Equal((3, 3), (again.Long("version"), again.Long("revision")));
        Assert.Equal((1, 4), (weak.Long("version"), weak.Long("revision")));
        Assert.Equal((2, 5), (any.Long("version"), any.Long("revision")));
    }

    [Fact]
    public async Task Move_WithoutIfMatch_IsUnconditional()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);

        var moved = await _server.Admin.MoveAliasAsync("fraud", "prod", 3);

        Assert.Equal(3, moved.Long("version"));
        Assert.Equal(3, moved.Long("revision"));
    }

    [Fact]
    public async Task Move_WithStaleIfMatch_Returns412_AndChangesNothing()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);
        var before = _server.Snapshot();

        using var response = await _server.Admin.PutAliasAsync("fraud", "prod", 3, "late", ifMatch: "\"1\"");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "REVISION_MISMATCH");
        Assert.Contains("revision 2", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(before, _server.Snapshot());
        var target = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod");
        Assert.Equal((2, 2), (target.Long("version"), target.Long("revision")));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("\"1\"")]
    public async Task Move_IfMatchOnMissingAlias_Returns412(string ifMatch)
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.PutAliasAsync("fraud", "prod", 1, ifMatch: ifMatch);

        await response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "REVISION_MISMATCH");
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task Move_ToTheVersionItAlreadyPointsAt_IsANoOp()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);
        var before = _server.Snapshot();

        var same = await _server.Admin.MoveAliasAsync("fraud", "prod", 2, ifMatch: "\"1\"");

        Assert.Equal(1, same.Long("revision"));
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task Move_ToUnknownVersionOrModel_Returns404_AndChangesNothing()
    {
        var before = _server.Snapshot();

        using var version = await _server.Admin.PutAliasAsync("fraud", "prod", 9);
        using var model = await _server.Admin.PutAliasAsync("ghost", "prod", 1);

        await version.ExpectProblemAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");
        await model.ExpectProblemAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task ConcurrentPromotions_WithTheSameIfMatch_ExactlyOneWins_TheOtherChangesNothing()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        var promoter = _server.Client((await _server.CreateTokenAsync(["promote"], "fraud")).Token);

        for (var round = 0; round < 5; round++)
        {
            var current = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod");
            var revision = current.Long("revision");
            var historyBefore = await History("prod");
            // Two different targets, neither equal to the current version, so both would be real moves.
            var targets = new long[] { 1, 2, 3 }.Where(v => v != current.Long("version")).ToArray();

            var results = await Task.WhenAll(targets.Select(async target =>
            {
                using var response = await promoter.PutAliasAsync("fraud", "prod", target, $"round {round}", $"\"{revision}\"");
                return (Target: target, Status: response.StatusCode, Body: TestHttp.Parse(await response.Content.ReadAsStringAsync()));
            }));

            var winner = Assert.Single(results, r => r.Status == HttpStatusCode.OK);
            var loser = Assert.Single(results, r => r.Status != HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.PreconditionFailed, loser.Status);
            Assert.Equal("REVISION_MISMATCH", loser.Body.Str("code"));
            Assert.Equal(revision + 1, winner.Body.Long("revision"));
            var after = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod");
            Assert.Equal((winner.Target, revision + 1), (after.Long("version"), after.Long("revision")));
            var historyAfter = await History("prod");
            Assert.Equal(historyBefore.Length + 1, historyAfter.Length);
            Assert.Equal(winner.Target, historyAfter[0].Long("to_version"));
            Assert.DoesNotContain(historyAfter, h => h.Has("to_version") && h.Long("to_version") == loser.Target
                && h.Long("revision") > revision);
        }
    }

    [Fact]
    public async Task History_ListsEveryMoveNewestFirst_WithFromToWhoWhenWhy()
    {
        var promoter = await _server.CreateTokenAsync(["promote"], "*", "release-bot");
        var bot = _server.Client(promoter.Token);
        _clock.Now = T0.AddHours(1);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1, "initial");
        _clock.Now = T0.AddHours(2);
        await bot.MoveAliasAsync("fraud", "prod", 3, "better f1");
        _clock.Now = T0.AddHours(3);
        await bot.MoveAliasAsync("fraud", "prod", 2, "rollback: latency");
        _clock.Now = T0.AddHours(4);
        using (var deleted = await _server.Admin.DeleteAsync("/v1/models/fraud/aliases/prod?reason=retired"))
        {
            await deleted.ExpectAsync(HttpStatusCode.OK);
        }

        var history = await History("prod");

        Assert.Equal(4, history.Length);
        var bootstrap = $"bootstrap-admin (";
        AssertMove(history[0], from: 2, to: null, revision: 4, actorPrefix: bootstrap, reason: "retired", at: T0.AddHours(4));
        AssertMove(history[1], from: 3, to: 2, revision: 3, actorPrefix: $"release-bot ({promoter.Id})", reason: "rollback: latency", at: T0.AddHours(3));
        AssertMove(history[2], from: 1, to: 3, revision: 2, actorPrefix: $"release-bot ({promoter.Id})", reason: "better f1", at: T0.AddHours(2));
        AssertMove(history[3], from: null, to: 1, revision: 1, actorPrefix: bootstrap, reason: "initial", at: T0.AddHours(1));
    }

    private static void AssertMove(JsonElement move, long? from, long? to, long revision, string actorPrefix, string reason, DateTimeOffset at)
    {
        Assert.Equal(from, move.TryGetProperty("from_version", out var f) ? f.GetInt64() : null);
        Assert.Equal(to, move.TryGetProperty("to_version", out var t) ? t.GetInt64() : null);
        Assert.Equal(revision, move.Long("revision"));
        Assert.StartsWith(actorPrefix, move.Str("actor"), StringComparison.Ordinal);
        Assert.Equal(reason, move.Str("reason"));
        Assert.Equal(at, move.GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task History_PagesWithCursor()
    {
        foreach (var v in new long[] { 1, 2, 3, 1, 2 })
        {
            await _server.Admin.MoveAliasAsync("fraud", "prod", v);
        }

        var revisions = new List<long>();
        string? cursor = null;
        do
        {
            var page = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod/history?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            revisions.AddRange(page.GetProperty("history").EnumerateArray().Select(h => h.Long("revision")));
            cursor = page.Has("next_cursor") ? page.Str("next_cursor") : null;
        }
        while (cursor is not null);

        Assert.Equal(new long[] { 5, 4, 3, 2, 1 }, revisions);
    }

    [Fact]
    public async Task Delete_RemovesAlias_ResolveThen404_AndRecreationContinuesTheRevision()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);
        var before = _server.Snapshot();

        using var response = await _server.Admin.SendAsync(HttpMethod.Delete, "/v1/models/fraud/aliases/prod?reason=gone",
            configure: r => r.Headers.TryAddWithoutValidation("If-Match", "\"2\""));

        var move = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, move.Long("from_version"));
        Assert.False(move.Has("to_version"));
        Assert.Equal(3, move.Long("revision"));
        Assert.Equal("gone", move.Str("reason"));
        Assert.Equal(before with
        {
            Aliases = before.Aliases - 1,
            AliasHistory = before.AliasHistory + 1,
            Events = before.Events + 1,
            Audit = before.Audit + 1,
        }, _server.Snapshot());
        using (var resolve = await _server.Admin.GetAsync("/v1/models/fraud/aliases/prod"))
        {
            await resolve.ExpectProblemAsync(HttpStatusCode.NotFound, "ALIAS_NOT_FOUND");
        }
        var events = await _server.Admin.GetJsonAsync($"/v1/events?after={before.Events}");
        Assert.Equal("alias.deleted", Assert.Single(events.GetProperty("events").EnumerateArray()).Str("type"));

        var recreated = await _server.Admin.MoveAliasAsync("fraud", "prod", 3);
        Assert.Equal(4, recreated.Long("revision"));
    }

    [Fact]
    public async Task Delete_WithStaleIfMatch_Returns412_AndKeepsTheAlias()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);
        var before = _server.Snapshot();

        using var response = await _server.Admin.SendAsync(HttpMethod.Delete, "/v1/models/fraud/aliases/prod",
            configure: r => r.Headers.TryAddWithoutValidation("If-Match", "\"1\""));

        await response.ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "REVISION_MISMATCH");
        Assert.Equal(before, _server.Snapshot());
        Assert.Equal(2, (await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases/prod")).Long("version"));
    }

    [Fact]
    public async Task Delete_UnknownAlias_Returns404()
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.DeleteAsync("/v1/models/fraud/aliases/nope");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "ALIAS_NOT_FOUND");
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task List_ReturnsEveryAliasByName()
    {
        await _server.Admin.MoveAliasAsync("fraud", "staging", 3);
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);
        await _server.Admin.MoveAliasAsync("fraud", "canary", 3);

        var list = await _server.Admin.GetJsonAsync("/v1/models/fraud/aliases");

        var aliases = list.GetProperty("aliases").EnumerateArray().Select(a => (a.Str("alias"), a.Long("version"))).ToArray();
        Assert.Equal(new[] { ("canary", 3L), ("prod", 2L), ("staging", 3L) }, aliases);
    }

    [Fact]
    public async Task ListVersions_ByAlias_FollowsTheMove()
    {
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        Assert.Equal(new long[] { 1 }, (await _server.Admin.GetJsonAsync("/v1/models/fraud/versions?alias=prod")).VersionNumbers());

        await _server.Admin.MoveAliasAsync("fraud", "prod", 3);

        Assert.Equal(new long[] { 3 }, (await _server.Admin.GetJsonAsync("/v1/models/fraud/versions?alias=prod")).VersionNumbers());
    }

    private async Task<JsonElement[]> History(string alias) =>
        [.. (await _server.Admin.GetJsonAsync($"/v1/models/fraud/aliases/{alias}/history")).GetProperty("history").EnumerateArray()];
}
