using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Arca.Server.Tests;

public sealed class AuditTests : IAsyncLifetime
{
    private const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await _server.Admin.CreateModelAsync("fraud");                         // 2
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));      // 3
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1, "ship it");     // 4
        await _server.CreateTokenAsync(["read"]);                              // 5 (1 is the bootstrap token)
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonElement[] Entries(JsonElement list) => [.. list.GetProperty("entries").EnumerateArray()];

    [Fact]
    public async Task List_HasARowPerWrite_EachChainedToThePrevious()
    {
        var list = await _server.Admin.GetJsonAsync("/v1/audit");

        var entries = Entries(list);
        Assert.Equal(["token.create", "model.create", "version.register", "alias.move", "token.create"], entries.Select(e => e.Str("action")));
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, entries.Select(e => e.Long("seq")));
        Assert.Equal(["fraud", "fraud:1", "fraud@prod"], entries[1..4].Select(e => e.Str("subject")));
        Assert.Equal("system", entries[0].Str("actor"));
        Assert.StartsWith("bootstrap-admin (", entries[1].Str("actor"), StringComparison.Ordinal);
        Assert.Equal("ship it", entries[3].Str("reason"));
        Assert.Equal(1, entries[3].GetProperty("after").Long("version"));
        Assert.False(entries[3].Has("before"));
        Assert.Equal(Genesis, entries[0].Str("prev_hash"));
        for (var i = 1; i < entries.Length; i++)
        {
            Assert.Equal(entries[i - 1].Str("hash"), entries[i].Str("prev_hash"));
        }
        Assert.Equal(5, entries.Select(e => e.Str("hash")).Distinct().Count());
        Assert.Equal(5, list.Long("next"));
    }

    [Fact]
    public async Task List_AfterAndLimit_Page()
    {
        var list = await _server.Admin.GetJsonAsync("/v1/audit?after=3&limit=1");

        Assert.Equal(4, Assert.Single(Entries(list)).Long("seq"));
        Assert.Equal(4, list.Long("next"));
    }

    [Fact]
    public async Task Verify_UntouchedLog_IsIntact()
    {
        var result = await _server.Admin.GetJsonAsync("/v1/audit/verify");

        Assert.Equal(5, result.Long("checked"));
        Assert.True(result.GetProperty("intact").GetBoolean());
        Assert.False(result.Has("broken_at"));
    }

    [Theory]
    [InlineData("UPDATE audit SET reason = 'nothing to see' WHERE seq = 4", 4, 3)]
    [InlineData("UPDATE audit SET actor = 'mallory' WHERE seq = 2", 2, 1)]
    [InlineData("UPDATE audit SET after = replace(after, 'sha256:', 'sha256:') || ' ' WHERE seq = 3", 3, 2)]
    [InlineData("DELETE FROM audit WHERE seq = 3", 4, 2)]
    [InlineData("DELETE FROM audit WHERE seq = 5", 0, 4)]
    public async Task Verify_AfterARowIsTamperedWith_ReportsTheFirstBrokenRow(string sql, long brokenAt, long intactCount)
    {
        await _server.StopAsync();
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _server.DatabasePath, Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        await _server.StartHostAsync();

        var result = await _server.Admin.GetJsonAsync("/v1/audit/verify");

        Assert.Equal(intactCount, result.Long("checked"));
        if (brokenAt > 0)
        {
            Assert.False(result.GetProperty("intact").GetBoolean());
            Assert.Equal(brokenAt, result.Long("broken_at"));
        }
        else
        {
            // Cutting off the newest row leaves a consistent prefix: the chain alone cannot tell.
            Assert.True(result.GetProperty("intact").GetBoolean());
        }
    }

    [Theory]
    [InlineData("admin", "fraud")]
    [InlineData("write", "*")]
    [InlineData("read", "*")]
    public async Task Audit_NeedsAnAdminTokenScopedToEverything(string role, string glob)
    {
        var client = _server.Client((await _server.CreateTokenAsync([role], glob)).Token);

        using var list = await client.GetAsync("/v1/audit");
        using var verify = await client.GetAsync("/v1/audit/verify");

        await list.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        await verify.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }
}
