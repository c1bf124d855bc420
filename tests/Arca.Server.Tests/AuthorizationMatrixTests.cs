using System.Net;

namespace Arca.Server.Tests;

/// <summary>
/// Every write endpoint × every role × a token scoped to the model (or, for tokens, to everything: <c>*</c>) or to
/// other models. One server for the whole table; each case works on its own model.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.SharedServer shared)
    : IClassFixture<AuthorizationMatrixTests.SharedServer>
{
    public static readonly string[] Endpoints =
        ["create model", "patch model", "register version", "create run", "move alias", "delete alias", "create token", "revoke token"];

    public static readonly string[] AllRoles = ["read", "write", "promote", "admin"];

    public static TheoryData<string, string, bool, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, string, bool, bool>();
            foreach (var endpoint in Endpoints)
            {
                foreach (var role in AllRoles)
                {
                    foreach (var inScope in new[] { true, false })
                    {
                        data.Add(endpoint, role, inScope, Allowed(endpoint, role, inScope));
                    }
                }
            }
            return data;
        }
    }

    /// <summary>The rule under test, written out: which role each endpoint needs and whether the scope matters.</summary>
    private static bool Allowed(string endpoint, string role, bool inScope) => endpoint switch
    {
        "create model" or "patch model" or "register version" => role is "write" or "admin" && inScope,
        "create run" => role is "write" or "admin", // runs belong to no model
        "move alias" or "delete alias" => role is "promote" or "admin" && inScope,
        "create token" or "revoke token" => role is "admin" && inScope, // in scope here means '*'
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WriteEndpoint_ByRoleAndScope_IsAllowedOrForbidden(string endpoint, string role, bool inScope, bool allowed)
    {
        var server = shared.Server;
        var n = Interlocked.Increment(ref shared.Counter);
        var model = $"team/m{n}";
        await server.Admin.RegisterAsync(model, TestHttp.Digest($"{n}-1"));
        await server.Admin.RegisterAsync(model, TestHttp.Digest($"{n}-2"));
        await server.Admin.MoveAliasAsync(model, "prod", 1);
        var victim = endpoint == "revoke token" ? await server.CreateTokenAsync(["read"], "*", $"victim-{n}") : null;
        var glob = inScope ? (endpoint.EndsWith("token", StringComparison.Ordinal) ? "*" : "team/*") : "other/*";
        var client = await shared.ClientAsync(role, glob);
        var before = server.Snapshot();

        using var response = endpoint switch
        {
            "create model" => await client.PostJsonAsync("/v1/models", $$"""{"name":"team/new{{n}}"}"""),
            "patch model" => await client.PatchJsonAsync($"/v1/models/{model}", """{"owner":"someone"}"""),
            "register version" => await client.PostVersionAsync(model, TestHttp.Digest($"{n}-3")),
            "create run" => await client.PostJsonAsync("/v1/runs", $$"""{"run_id":"run-{{n}}"}"""),
            "move alias" => await client.PutAliasAsync(model, "prod", 2),
            "delete alias" => await client.DeleteAsync($"/v1/models/{model}/aliases/prod"),
            "create token" => await client.PostJsonAsync("/v1/tokens", $$"""{"name":"made-{{n}}","roles":["read"]}"""),
            "revoke token" => await client.DeleteAsync("/v1/tokens/" + victim!.Id),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };

        if (allowed)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{endpoint} as {role} on '{glob}': {(int)response.StatusCode} {text}");
            Assert.NotEqual(before, server.Snapshot());
        }
        else
        {
            await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
            Assert.Equal(before, server.Snapshot());
        }
    }

    [Theory]
    [InlineData("read")]
    [InlineData("write")]
    [InlineData("promote")]
    [InlineData("admin")]
    public async Task Reads_AreAllowedForEveryRoleInScope_AndForbiddenOutOfScope(string role)
    {
        var server = shared.Server;
        var n = Interlocked.Increment(ref shared.Counter);
        var model = $"team/r{n}";
        await server.Admin.RegisterAsync(model, TestHttp.Digest($"r{n}"));
        await server.Admin.MoveAliasAsync(model, "prod", 1);
        var inScope = await shared.ClientAsync(role, "team/*");
        var outOfScope = await shared.ClientAsync(role, "other/*");

        foreach (var path in ReadPaths(model))
        {
            using var allowed = await inScope.GetAsync(path);
            await allowed.ExpectAsync(HttpStatusCode.OK);
            using var denied = await outOfScope.GetAsync(path);
            await denied.ExpectProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task ModelList_ForAScopedToken_ShowsOnlyModelsInScope()
    {
        var server = shared.Server;
        await server.Admin.CreateModelAsync("other/hidden-" + Interlocked.Increment(ref shared.Counter));
        var reader = await shared.ClientAsync("read", "other/*");

        var list = await reader.GetJsonAsync("/v1/models?limit=1000");

        var names = list.GetProperty("models").EnumerateArray().Select(m => m.Str("name")).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.StartsWith("other/", name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnonymousRead_ReadsSucceedWithoutAToken_WritesStillGet401()
    {
        await using var server = await TestServer.StartAsync(o => o with { AnonymousRead = true });
        await server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));
        await server.Admin.MoveAliasAsync("fraud", "prod", 1);
        using (var run = await server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1","dataset_version":"ds"}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }

        foreach (var path in ReadPaths("fraud").Concat(["/v1/models", "/v1/events?after=0", "/v1/runs/r1", "/v1/lineage?dataset=ds"]))
        {
            using var response = await server.Anonymous.GetAsync(path);
            await response.ExpectAsync(HttpStatusCode.OK);
        }
        var before = server.Snapshot();
        var writes = new Func<HttpClient, Task<HttpResponseMessage>>[]
        {
            c => c.PostJsonAsync("/v1/models", """{"name":"anon"}"""),
            c => c.PatchJsonAsync("/v1/models/fraud", """{"owner":"anon"}"""),
            c => c.PostVersionAsync("fraud", TestHttp.Digest("anon")),
            c => c.PostJsonAsync("/v1/runs", """{"run_id":"anon"}"""),
            c => c.PutAliasAsync("fraud", "prod", 1),
            c => c.DeleteAsync("/v1/models/fraud/aliases/prod"),
            c => c.PostJsonAsync("/v1/tokens", """{"name":"anon","roles":["admin"]}"""),
            c => c.GetAsync("/v1/tokens"),
            c => c.GetAsync("/v1/audit"),
        };
        foreach (var write in writes)
        {
            using var response = await write(server.Anonymous);
            await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.Equal("Bearer realm=\"arca\"", response.RawHeader("WWW-Authenticate"));
        }
        Assert.Equal(before, server.Snapshot());

        // A bad token is still rejected rather than treated as anonymous.
        using var forged = await server.Client("arca_000000000000_nope").GetAsync("/v1/models");
        await forged.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task WithoutAnonymousRead_ReadsNeedAToken()
    {
        var server = shared.Server;
        foreach (var path in new[] { "/v1/models", "/v1/events", "/v1/runs/x", "/v1/models/team/m1" })
        {
            using var response = await server.Anonymous.GetAsync(path);
            await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.Equal("Bearer realm=\"arca\"", response.RawHeader("WWW-Authenticate"));
        }
    }

    private static string[] ReadPaths(string model) =>
    [
        $"/v1/models/{model}",
        $"/v1/models/{model}/versions",
        $"/v1/models/{model}/versions/1",
        $"/v1/models/{model}/versions/1/lineage",
        $"/v1/models/{model}/compare?a=1&b=1",
        $"/v1/models/{model}/aliases",
        $"/v1/models/{model}/aliases/prod",
        $"/v1/models/{model}/aliases/prod/history",
    ];

    public sealed class SharedServer : IAsyncLifetime
    {
        private readonly Dictionary<(string Role, string Glob), HttpClient> _clients = [];
        private readonly SemaphoreSlim _lock = new(1, 1);

        public int Counter;

        public TestServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await TestServer.StartAsync();

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            _lock.Dispose();
        }

        /// <summary>One token per role and glob, created on first use.</summary>
        public async Task<HttpClient> ClientAsync(string role, string glob)
        {
            await _lock.WaitAsync();
            try
            {
                if (!_clients.TryGetValue((role, glob), out var client))
                {
                    client = Server.Client((await Server.CreateTokenAsync([role], glob, $"{role}-{glob.Replace('/', '-').Replace('*', 'x')}")).Token);
                    _clients[(role, glob)] = client;
                }
                return client;
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
