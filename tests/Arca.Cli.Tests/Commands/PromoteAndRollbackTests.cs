namespace Arca.Cli.Tests.Commands;

public sealed class PromoteAndRollbackTests : IAsyncLifetime
{
    private readonly Registry _registry = new();

    public Task InitializeAsync() => _registry.InitializeAsync();

    public Task DisposeAsync() => _registry.DisposeAsync();

    private async Task SeedAsync(string model, int versions)
    {
        for (var i = 1; i <= versions; i++)
        {
            await _registry.RegisterAsync(model, $"{model}-{i}");
        }
    }

    [Fact]
    public async Task Promote_MovesTheAlias_AndPrintsModelAliasVersionAndRevision()
    {
        await SeedAsync("team/qa", 2);

        var first = await _registry.ArcaAsync("promote", "team/qa", "1", "--alias", "prod", "--reason", "first release");
        var second = await _registry.ArcaAsync("promote", "team/qa", "2", "--alias", "prod");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("team/qa@prod → version 1 (revision 1)\n", first.Stdout);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("team/qa@prod → version 2 (revision 2)\n", second.Stdout);
        var history = await _registry.SendAsync(HttpMethod.Get, "/v1/models/team/qa/aliases/prod/history");
        Assert.Equal("first release", history.GetProperty("history")[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Promote_Json_PrintsTheServersAliasTarget()
    {
        await SeedAsync("qa", 1);

        var result = await _registry.ArcaAsync("promote", "qa", "1", "--alias", "staging", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var target = Json.Parse(result.Stdout);
        Assert.Equal("staging", target.GetProperty("alias").GetString());
        Assert.Equal(1, target.GetProperty("version").GetInt64());
        Assert.Equal(Registry.Digest("qa-1"), target.GetProperty("artifact_digest").GetString());
    }

    [Fact]
    public async Task Promote_IfRevisionCurrent_Moves_ButStale_ExitsConflictAndChangesNothing()
    {
        await SeedAsync("team/qa", 3);
        await _registry.PromoteAsync("team/qa", "prod", 1);

        var current = await _registry.ArcaAsync("promote", "team/qa", "2", "--alias", "prod", "--if-revision", "1");
        var stale = await _registry.ArcaAsync("promote", "team/qa", "3", "--alias", "prod", "--if-revision", "1");

        Assert.True(current.ExitCode == 0, current.ToString());
        Assert.Contains("version 2 (revision 2)", current.Stdout, StringComparison.Ordinal);
        Assert.True(stale.ExitCode == 4, stale.ToString());
        Assert.Empty(stale.Stdout);
        Assert.Contains("REVISION_MISMATCH", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains("team/qa@prod was moved by someone else; nothing changed", stale.Stderr, StringComparison.Ordinal);
        var target = await _registry.SendAsync(HttpMethod.Get, "/v1/models/team/qa/aliases/prod");
        Assert.Equal(2, target.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Promote_UnknownVersion_ExitsNotFound()
    {
        await SeedAsync("qa", 1);

        var result = await _registry.ArcaAsync("promote", "qa", "9", "--alias", "prod");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("VERSION_NOT_FOUND", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_FlipsBackToThePreviousTarget_AndASecondRollbackFlipsForwardAgain()
    {
        await SeedAsync("team/qa", 3);
        await _registry.PromoteAsync("team/qa", "prod", 1);
        await _registry.PromoteAsync("team/qa", "prod", 3);

        var back = await _registry.ArcaAsync("rollback", "team/qa", "--alias", "prod");
        var forward = await _registry.ArcaAsync("rollback", "team/qa", "--alias", "prod", "--reason", "fixed the feature store");

        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal("team/qa@prod → version 1 (revision 3)\n", back.Stdout);
        Assert.True(forward.ExitCode == 0, forward.ToString());
        Assert.Equal("team/qa@prod → version 3 (revision 4)\n", forward.Stdout);
        var history = (await _registry.SendAsync(HttpMethod.Get, "/v1/models/team/qa/aliases/prod/history")).GetProperty("history");
        Assert.Equal("fixed the feature store", history[0].GetProperty("reason").GetString());
        Assert.Equal("rollback from v3", history[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Rollback_AliasThatNeverMoved_ExitsFailure_AndSaysThereIsNothingToRollBackTo()
    {
        await SeedAsync("qa", 2);
        await _registry.PromoteAsync("qa", "prod", 2);

        var result = await _registry.ArcaAsync("rollback", "qa", "--alias", "prod");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("nothing to roll back to", result.Stderr, StringComparison.Ordinal);
        var target = await _registry.SendAsync(HttpMethod.Get, "/v1/models/qa/aliases/prod");
        Assert.Equal(2, target.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Rollback_UnknownAliasOrModel_ExitsNotFound()
    {
        await SeedAsync("qa", 1);

        var alias = await _registry.ArcaAsync("rollback", "qa", "--alias", "nope");
        var model = await _registry.ArcaAsync("rollback", "nope", "--alias", "prod");

        Assert.True(alias.ExitCode == 3, alias.ToString());
        Assert.True(model.ExitCode == 3, model.ToString());
    }

    [Fact]
    public async Task PromoteAndRollback_ReadOnlyToken_ExitForbidden()
    {
        await SeedAsync("qa", 2);
        await _registry.PromoteAsync("qa", "prod", 1);
        await _registry.PromoteAsync("qa", "prod", 2);
        var reader = await _registry.CreateTokenAsync("read");

        var promote = await _registry.ArcaWithAsync(_registry.Url, reader, "promote", "qa", "1", "--alias", "prod");
        var rollback = await _registry.ArcaWithAsync(_registry.Url, reader, "rollback", "qa", "--alias", "prod");

        Assert.True(promote.ExitCode == 5, promote.ToString());
        Assert.Contains("FORBIDDEN", promote.Stderr, StringComparison.Ordinal);
        Assert.True(rollback.ExitCode == 5, rollback.ToString());
        var target = await _registry.SendAsync(HttpMethod.Get, "/v1/models/qa/aliases/prod");
        Assert.Equal(2, target.GetProperty("version").GetInt64());
    }
}
