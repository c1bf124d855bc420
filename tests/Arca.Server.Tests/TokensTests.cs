using System.Net;

namespace Arca.Server.Tests;

public sealed class TokensTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void BootstrapToken_IsWrittenOwnerOnly()
    {
        Assert.Matches("^arca_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", _server.AdminToken);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.Options.EffectiveBootstrapTokenFile));
    }

    [Fact]
    public async Task Create_ReturnsTheSecretOnce_AndListShowsTheTokenWithoutIt()
    {
        var before = _server.Snapshot();
        using var response = await _server.Admin.PostJsonAsync("/v1/tokens", """{"name":"ci","roles":["write","read"],"models":"team/*"}""");

        var created = await response.ExpectAsync(HttpStatusCode.Created);
        var id = created.Str("id");
        Assert.Equal("/v1/tokens/" + id, response.Headers.Location?.OriginalString);
        Assert.Equal("no-store", response.RawHeader("Cache-Control"));
        Assert.Equal("ci", created.Str("name"));
        Assert.Equal(["read", "write"], created.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("team/*", created.Str("models"));
        Assert.StartsWith($"arca_{id}_", created.Str("token"), StringComparison.Ordinal);
        Assert.Equal(before with { Tokens = before.Tokens + 1, Audit = before.Audit + 1 }, _server.Snapshot());

        var list = await _server.Admin.GetJsonAsync("/v1/tokens");
        var tokens = list.GetProperty("tokens").EnumerateArray().ToArray();
        Assert.Equal(2, tokens.Length);
        Assert.Equal("bootstrap-admin", tokens[0].Str("name"));
        var listed = Assert.Single(tokens, t => t.Str("id") == id);
        Assert.Equal("team/*", listed.Str("models"));
        Assert.False(listed.Has("token"));
        Assert.False(listed.Has("hash"));
        Assert.False(listed.Has("revoked_at"));
        Assert.DoesNotContain(created.Str("token"), list.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewToken_Authenticates_WithItsRolesAndScope()
    {
        var token = await _server.CreateTokenAsync(["write"], "team/*");
        var client = _server.Client(token.Token);

        var v = await client.RegisterAsync("team/a", TestHttp.Digest("a"));
        using var outOfScope = await client.PostVersionAsync("other/a", TestHttp.Digest("a"));

        Assert.Equal($"test-write ({token.Id})", v.Str("created_by"));
        await outOfScope.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Revoke_MarksTheToken_AndItGets401Afterwards()
    {
        var token = await _server.CreateTokenAsync(["read"]);
        var client = _server.Client(token.Token);
        await client.GetJsonAsync("/v1/models");
        var before = _server.Snapshot();

        using var response = await _server.Admin.DeleteAsync("/v1/tokens/" + token.Id);

        var revoked = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(token.Id, revoked.Str("id"));
        Assert.True(revoked.Has("revoked_at"));
        Assert.Equal(before with { RevokedTokens = before.RevokedTokens + 1, Audit = before.Audit + 1, Events = before.Events + 1 },
            _server.Snapshot());
        // Announced on the event stream (id and name, never the secret) for the tiers that follow it.
        var events = await _server.Admin.GetJsonAsync($"/v1/events?after={before.Events}");
        var announced = Assert.Single(events.GetProperty("events").EnumerateArray());
        Assert.Equal("token.revoked", announced.Str("type"));
        Assert.Equal(token.Id, announced.GetProperty("payload").Str("id"));
        Assert.DoesNotContain(token.Token, announced.GetRawText(), StringComparison.Ordinal);
        using var rejected = await client.GetAsync("/v1/models");
        await rejected.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"arca\"", rejected.RawHeader("WWW-Authenticate"));
        var listed = (await _server.Admin.GetJsonAsync("/v1/tokens")).GetProperty("tokens").EnumerateArray().Single(t => t.Str("id") == token.Id);
        Assert.True(listed.Has("revoked_at"));
    }

    [Fact]
    public async Task Revoke_Twice_IsIdempotent()
    {
        var token = await _server.CreateTokenAsync(["read"]);
        using (var first = await _server.Admin.DeleteAsync("/v1/tokens/" + token.Id))
        {
            await first.ExpectAsync(HttpStatusCode.OK);
        }
        var before = _server.Snapshot();

        using var second = await _server.Admin.DeleteAsync("/v1/tokens/" + token.Id);

        await second.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task Revoke_UnknownToken_Returns404TokenNotFound()
    {
        using var response = await _server.Admin.DeleteAsync("/v1/tokens/000000000000");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "TOKEN_NOT_FOUND");
    }

    [Theory]
    [InlineData("""{"name":"x","roles":["superuser"]}""", "superuser")]
    [InlineData("""{"name":"x","roles":[]}""", "at least one role")]
    [InlineData("""{"name":"","roles":["read"]}""", "name")]
    [InlineData("""{"name":"x","roles":["read"],"models":""}""", "glob")]
    public async Task Create_InvalidRolesOrNames_Returns400_AndCreatesNothing(string body, string detail)
    {
        var before = _server.Snapshot();

        using var response = await _server.Admin.PostJsonAsync("/v1/tokens", body);

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
        Assert.Contains(detail, problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(before, _server.Snapshot());
    }

    [Theory]
    [InlineData("Bearer arca_000000000000_secret")]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    public async Task ForgedOrMalformedCredentials_Get401(string authorization)
    {
        var client = _server.Client(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await client.SendAsync(request);

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"arca\"", response.RawHeader("WWW-Authenticate"));
    }

    [Fact]
    public async Task ValidIdWithWrongSecret_Gets401()
    {
        var token = await _server.CreateTokenAsync(["admin"]);
        var forged = token.Token[..^4] + (token.Token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        using var response = await _server.Client(forged).GetAsync("/v1/models");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        // Once the real token has matched (and is remembered), the forged one still fails and the real one still works.
        await _server.Client(token.Token).GetJsonAsync("/v1/models");
        using var again = await _server.Client(forged).GetAsync("/v1/models");
        await again.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var shorter = await _server.Client(token.Token[..^1]).GetAsync("/v1/models");
        await shorter.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await _server.Client(token.Token).GetJsonAsync("/v1/models");
    }
}
