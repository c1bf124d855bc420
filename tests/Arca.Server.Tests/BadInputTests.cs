using System.Buffers.Text;
using System.Net;
using System.Text;

namespace Arca.Server.Tests;

/// <summary>
/// Every kind of bad request gets its status and stable problem code, as <c>application/problem+json</c>, and
/// leaves the store exactly as it was (row counts of every table unchanged).
/// Setup: model <c>fraud</c> with version 1, alias <c>prod</c> → 1, run <c>r1</c>.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly string D = TestHttp.Digest("new");

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("v1"));
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        using var run = await _server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1"}""");
        await run.ExpectAsync(HttpStatusCode.Created);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Sends the request and asserts the problem and that nothing was written.</summary>
    private async Task<System.Text.Json.JsonElement> RejectedAsync(HttpClient client, HttpMethod method, string path, string? body,
        HttpStatusCode status, string code, Action<HttpRequestMessage>? configure = null)
    {
        var before = _server.Snapshot();
        using var response = await client.SendAsync(method, path, body, configure);
        var problem = await response.ExpectProblemAsync(status, code);
        Assert.Equal(before, _server.Snapshot());
        return problem;
    }

    public static TheoryData<string, string, string, string, string> Bodies => new()
    {
        // method, path, body, code, what the detail must mention
        { "POST", "/v1/models", "{", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", """{"name":"x",}""", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", "not json", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", """{"name":"x"} trailing""", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", "", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", "null", "MALFORMED_JSON", "" },
        { "POST", "/v1/models", """{"name":"x","colour":"red"}""", "UNKNOWN_FIELD", "colour" },
        { "POST", "/v1/models", """{"name":5}""", "WRONG_TYPE", "name" },
        { "POST", "/v1/models", """{"name":"x","owner":["a"]}""", "WRONG_TYPE", "owner" },
        { "POST", "/v1/models", "{}", "MISSING_FIELD", "name" },
        { "POST", "/v1/models", """{"owner":"x"}""", "MISSING_FIELD", "name" },
        { "PATCH", "/v1/models/fraud", "{", "MALFORMED_JSON", "" },
        { "PATCH", "/v1/models/fraud", """{"nmae":"x"}""", "UNKNOWN_FIELD", "nmae" },
        { "PATCH", "/v1/models/fraud", """{"owner":1}""", "WRONG_TYPE", "owner" },
        { "POST", "/v1/models/fraud/versions", "{\"artifact_digest\":", "MALFORMED_JSON", "" },
        { "POST", "/v1/models/fraud/versions", $$"""{"artifact_digest":"{{D}}","size":1}""", "UNKNOWN_FIELD", "size" },
        { "POST", "/v1/models/fraud/versions", """{"artifact_digest":5}""", "WRONG_TYPE", "artifact_digest" },
        { "POST", "/v1/models/fraud/versions", $$$"""{"artifact_digest":"{{{D}}}","metrics":{"f1":"high"}}""", "WRONG_TYPE", "metrics" },
        { "POST", "/v1/models/fraud/versions", $$$"""{"artifact_digest":"{{{D}}}","tags":{"env":1}}""", "WRONG_TYPE", "tags" },
        { "POST", "/v1/models/fraud/versions", $$"""{"artifact_digest":"{{D}}","metrics":[1]}""", "WRONG_TYPE", "metrics" },
        { "POST", "/v1/models/fraud/versions", """{"metrics":{"f1":1}}""", "MISSING_FIELD", "artifact_digest" },
        { "POST", "/v1/runs", "{", "MALFORMED_JSON", "" },
        { "POST", "/v1/runs", """{"run_id":"r9","gpu":1}""", "UNKNOWN_FIELD", "gpu" },
        { "POST", "/v1/runs", """{"run_id":9}""", "WRONG_TYPE", "run_id" },
        { "POST", "/v1/runs", """{"run_id":"r9","started_at":"yesterday"}""", "WRONG_TYPE", "started_at" },
        { "PUT", "/v1/models/fraud/aliases/prod", "{", "MALFORMED_JSON", "" },
        { "PUT", "/v1/models/fraud/aliases/prod", """{"version":1,"force":true}""", "UNKNOWN_FIELD", "force" },
        { "PUT", "/v1/models/fraud/aliases/prod", """{"version":"one"}""", "WRONG_TYPE", "version" },
        { "PUT", "/v1/models/fraud/aliases/prod", """{"version":1.5}""", "WRONG_TYPE", "version" },
        { "PUT", "/v1/models/fraud/aliases/prod", """{"reason":"x"}""", "MISSING_FIELD", "version" },
        { "POST", "/v1/tokens", "{", "MALFORMED_JSON", "" },
        { "POST", "/v1/tokens", """{"name":"x","roles":["read"],"scope":"*"}""", "UNKNOWN_FIELD", "scope" },
        { "POST", "/v1/tokens", """{"name":"x","roles":"read"}""", "WRONG_TYPE", "roles" },
        { "POST", "/v1/tokens", """{"name":"x"}""", "MISSING_FIELD", "roles" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task BadBody_ReturnsItsCode_AndWritesNothing(string method, string path, string body, string code, string detail)
    {
        var problem = await RejectedAsync(_server.Admin, new HttpMethod(method), path, body, HttpStatusCode.BadRequest, code);

        Assert.Contains(detail, problem.Str("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/models", false)]
    [InlineData("/v1/models", true)]
    [InlineData("/v1/models/fraud/versions", false)]
    [InlineData("/v1/models/fraud/versions", true)]
    [InlineData("/v1/runs", true)]
    public async Task BodyOverMaxBodyBytes_Returns413_AndWritesNothing(string path, bool chunked)
    {
        await using var small = await TestServer.StartAsync(o => o with { MaxBodyBytes = 512 });
        var padding = new string('x', 2000);
        var body = path switch
        {
            "/v1/models" => $$"""{"name":"big","description":"{{padding}}"}""",
            "/v1/runs" => $$"""{"run_id":"big","dataset_version":"{{padding}}"}""",
            _ => $$"""{"artifact_digest":"{{D}}","framework":"{{padding}}"}""",
        };
        var before = small.Snapshot();

        using var response = await small.Admin.SendAsync(HttpMethod.Post, path, body, r =>
        {
            if (chunked)
            {
                r.Headers.TransferEncodingChunked = true;
            }
        });

        await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "BODY_TOO_LARGE");
        Assert.Equal(before, small.Snapshot());
        // A body within the limit still works on the same server.
        await small.Admin.CreateModelAsync("small");
    }

    [Theory]
    [InlineData("Fraud")]
    [InlineData("-fraud")]
    [InlineData(".fraud")]
    [InlineData("fr aud")]
    [InlineData("frAud")]
    [InlineData("a/b/c")]
    [InlineData("team/versions")]
    [InlineData("team/aliases")]
    [InlineData("team/compare")]
    [InlineData("/fraud")]
    [InlineData("fraud/")]
    [InlineData("team/-x")]
    [InlineData("")]
    [InlineData("fr~aud")]
    [InlineData("caf\u00e9")]
    public async Task CreateModel_InvalidName_Returns400InvalidName(string name) =>
        await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/models", $$"""{"name":"{{name}}"}""", HttpStatusCode.BadRequest, "INVALID_NAME");

    [Fact]
    public async Task CreateModel_NameLengthBoundary_128Accepted_129Rejected()
    {
        await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/models", $$"""{"name":"{{new string('a', 129)}}"}""",
            HttpStatusCode.BadRequest, "INVALID_NAME");
        await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/models", $$"""{"name":"ns/{{new string('b', 129)}}"}""",
            HttpStatusCode.BadRequest, "INVALID_NAME");

        await _server.Admin.CreateModelAsync(new string('a', 128));
        await _server.Admin.CreateModelAsync("ns/" + new string('b', 128));
    }

    [Theory]
    [InlineData("Fraud")]
    [InlineData("-fraud")]
    public async Task RegisterVersion_InvalidModelNameInPath_Returns400InvalidName(string name) =>
        await RejectedAsync(_server.Admin, HttpMethod.Post, $"/v1/models/{name}/versions", $$"""{"artifact_digest":"{{D}}"}""",
            HttpStatusCode.BadRequest, "INVALID_NAME");

    [Theory]
    [InlineData("Prod")]
    [InlineData("-prod")]
    [InlineData("pr%20od")]
    public async Task MoveAlias_InvalidAliasName_Returns400InvalidName(string alias) =>
        await RejectedAsync(_server.Admin, HttpMethod.Put, $"/v1/models/fraud/aliases/{alias}", """{"version":1}""",
            HttpStatusCode.BadRequest, "INVALID_NAME");

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:")]
    [InlineData("")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a088")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00g08")]
    [InlineData("sha512:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("md5:098f6bcd4621d373cade4e832627b4f6")]
    public async Task RegisterVersion_InvalidDigest_Returns400InvalidDigest(string digest)
    {
        var problem = await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/models/fraud/versions",
            $$"""{"artifact_digest":"{{digest}}"}""", HttpStatusCode.BadRequest, "INVALID_DIGEST");

        Assert.Contains($"'{digest}'", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"artifact_digest":"DIGEST","metrics":{"bad key":1}}""", "bad key")]
    [InlineData("""{"artifact_digest":"DIGEST","params":{"":1}}""", "param")]
    [InlineData("""{"artifact_digest":"DIGEST","tags":{"env":"LONG"}}""", "env")]
    [InlineData("""{"artifact_digest":"DIGEST","framework":"LONG"}""", "framework")]
    public async Task RegisterVersion_InvalidKeysOrValues_Returns400InvalidArgument(string template, string detail)
    {
        var body = template.Replace("DIGEST", D, StringComparison.Ordinal).Replace("LONG", new string('x', 300), StringComparison.Ordinal);

        var problem = await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/models/fraud/versions", body,
            HttpStatusCode.BadRequest, "INVALID_ARGUMENT");

        Assert.Contains(detail, problem.Str("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("filter", "metrics.f1~0.5")]
    [InlineData("filter", "foo>1")]
    [InlineData("filter", "metrics.f1>abc")]
    [InlineData("filter", "metrics.f1>")]
    [InlineData("filter", "metrics.>1")]
    [InlineData("filter", "created_at>yesterday")]
    [InlineData("filter", "created_by>ci")]
    [InlineData("filter", "params.lr>high")]
    [InlineData("filter", "version=1,bogus")]
    [InlineData("filter", "version=one")]
    [InlineData("sort", "params.lr")]
    [InlineData("sort", "created_by")]
    [InlineData("sort", "f1")]
    [InlineData("sort", "-metrics.")]
    [InlineData("tag", "novalue")]
    [InlineData("tag", ":x")]
    public async Task ListVersions_InvalidFilterSortOrTag_Returns400NamingTheBadTerm(string parameter, string value)
    {
        var problem = await RejectedAsync(_server.Admin, HttpMethod.Get,
            $"/v1/models/fraud/versions?{parameter}={Uri.EscapeDataString(value)}", null, HttpStatusCode.BadRequest, "INVALID_FILTER");

        var term = value.Contains(',', StringComparison.Ordinal) ? value[(value.IndexOf(',', StringComparison.Ordinal) + 1)..] : value;
        Assert.Contains($"'{term}'", problem.Str("detail"), StringComparison.Ordinal);
    }

    public static TheoryData<string> BadCursors => new()
    {
        "/v1/models/fraud/versions?cursor=!!!",
        "/v1/models/fraud/versions?cursor=abc",
        "/v1/models/fraud/versions?cursor=" + Cursor("1\nx"),
        "/v1/models/fraud/versions?cursor=" + Cursor("1\n2\n3"),
        "/v1/models/fraud/versions?sort=metrics.f1&cursor=" + Cursor("not-a-number\n1"),
        "/v1/models/fraud/versions?sort=-metrics.f1&cursor=" + Cursor("2025-01-01T00:00:00.0000000Z\n1"),
        "/v1/models?cursor=!!!",
        "/v1/models/fraud/aliases/prod/history?cursor=!!!",
        "/v1/models/fraud/aliases/prod/history?cursor=" + Cursor("abc"),
    };

    [Theory]
    [MemberData(nameof(BadCursors))]
    public async Task List_WithACursorThisServerDidNotIssue_Returns400InvalidCursor(string path) =>
        await RejectedAsync(_server.Admin, HttpMethod.Get, path, null, HttpStatusCode.BadRequest, "INVALID_CURSOR");

    private static string Cursor(string raw) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(raw));

    [Theory]
    [InlineData("GET", "/v1/models/ghost", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/team/ghost", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/versions", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/versions/1", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/aliases", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/aliases/prod", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/aliases/prod/history", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/ghost/compare?a=1&b=1", "MODEL_NOT_FOUND")]
    [InlineData("DELETE", "/v1/models/ghost/aliases/prod", "MODEL_NOT_FOUND")]
    [InlineData("GET", "/v1/models/fraud/versions/2", "VERSION_NOT_FOUND")]
    [InlineData("GET", "/v1/models/fraud/versions/2/lineage", "VERSION_NOT_FOUND")]
    [InlineData("GET", "/v1/models/fraud/compare?a=1&b=2", "VERSION_NOT_FOUND")]
    [InlineData("GET", "/v1/models/fraud/aliases/staging", "ALIAS_NOT_FOUND")]
    [InlineData("GET", "/v1/models/fraud/aliases/staging/history", "ALIAS_NOT_FOUND")]
    [InlineData("DELETE", "/v1/models/fraud/aliases/staging", "ALIAS_NOT_FOUND")]
    [InlineData("GET", "/v1/runs/ghost", "RUN_NOT_FOUND")]
    [InlineData("DELETE", "/v1/tokens/ghost", "TOKEN_NOT_FOUND")]
    public async Task UnknownResource_Returns404WithItsCode(string method, string path, string code) =>
        await RejectedAsync(_server.Admin, new HttpMethod(method), path, null, HttpStatusCode.NotFound, code);

    [Theory]
    [InlineData("""{"version":2}""", "VERSION_NOT_FOUND")]
    public async Task MoveAlias_ToUnknownVersion_Returns404(string body, string code) =>
        await RejectedAsync(_server.Admin, HttpMethod.Put, "/v1/models/fraud/aliases/prod", body, HttpStatusCode.NotFound, code);

    [Fact]
    public async Task MoveAlias_StaleRevision_Returns412()
    {
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("v2"));
        await _server.Admin.MoveAliasAsync("fraud", "prod", 2);

        await RejectedAsync(_server.Admin, HttpMethod.Put, "/v1/models/fraud/aliases/prod", """{"version":1}""",
            HttpStatusCode.PreconditionFailed, "REVISION_MISMATCH", r => r.Headers.TryAddWithoutValidation("If-Match", "\"1\""));
    }

    [Theory]
    [InlineData("fraud")]
    [InlineData("brand-new")]
    public async Task RegisterVersion_WithUnknownRun_Returns422_AndDoesNotCreateTheModel(string model)
    {
        var problem = await RejectedAsync(_server.Admin, HttpMethod.Post, $"/v1/models/{model}/versions",
            $$"""{"artifact_digest":"{{D}}","run_id":"no-such-run"}""", (HttpStatusCode)422, "UNKNOWN_RUN");

        Assert.Contains("no-such-run", problem.Str("detail"), StringComparison.Ordinal);
        using var get = await _server.Admin.GetAsync($"/v1/models/{model}");
        Assert.Equal(model == "fraud" ? HttpStatusCode.OK : HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/v1/models", null)]
    [InlineData("POST", "/v1/models", """{"name":"x"}""")]
    [InlineData("POST", "/v1/models", "{")]
    [InlineData("POST", "/v1/models/fraud/versions", """{"artifact_digest":"sha256:bad"}""")]
    [InlineData("PUT", "/v1/models/fraud/aliases/prod", """{"version":1}""")]
    [InlineData("GET", "/v1/events?after=0", null)]
    [InlineData("GET", "/v1/tokens", null)]
    [InlineData("POST", "/v1/tokens", """{"name":"x","roles":["admin"]}""")]
    public async Task NoToken_Returns401WithWwwAuthenticate_BeforeLookingAtTheBody(string method, string path, string? body)
    {
        var before = _server.Snapshot();
        using var response = await _server.Anonymous.SendAsync(new HttpMethod(method), path, body);

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"arca\"", response.RawHeader("WWW-Authenticate"));
        Assert.Equal(before, _server.Snapshot());
    }

    [Fact]
    public async Task BadToken_Returns401()
    {
        var forged = _server.Client("arca_0123456789ab_forged");

        await RejectedAsync(forged, HttpMethod.Post, "/v1/models", """{"name":"x"}""", HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task WrongRole_Returns403()
    {
        var reader = _server.Client((await _server.CreateTokenAsync(["read"])).Token);

        var problem = await RejectedAsync(reader, HttpMethod.Post, "/v1/models/fraud/versions", $$"""{"artifact_digest":"{{D}}"}""",
            HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Contains("'write'", problem.Str("detail"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/nope")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/v2/models")]
    [InlineData("GET", "/v1/models/a/b/c")]
    [InlineData("GET", "/v1/models/fraud/versions/1/extra")]
    [InlineData("POST", "/v1/models/fraud/versions/1/extra")]
    public async Task UnknownRoute_Returns404NotFound(string method, string path) =>
        await RejectedAsync(_server.Admin, new HttpMethod(method), path, null, HttpStatusCode.NotFound, "NOT_FOUND");

    [Theory]
    [InlineData("DELETE", "/v1/models")]
    [InlineData("PUT", "/v1/models/fraud")]
    [InlineData("DELETE", "/v1/models/fraud")]
    [InlineData("POST", "/v1/models/fraud/versions/1")]
    [InlineData("DELETE", "/v1/models/fraud/versions/1")]
    [InlineData("PUT", "/v1/runs/r1")]
    [InlineData("POST", "/v1/events")]
    [InlineData("PATCH", "/v1/tokens")]
    [InlineData("POST", "/healthz")]
    public async Task WrongMethod_Returns405(string method, string path) =>
        await RejectedAsync(_server.Admin, new HttpMethod(method), path, method is "GET" or "DELETE" ? null : "{}",
            HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");

    [Theory]
    [InlineData("/v1/models?limit=0")]
    [InlineData("/v1/models?limit=1001")]
    [InlineData("/v1/models?limit=ten")]
    [InlineData("/v1/models/fraud/versions?limit=-1")]
    [InlineData("/v1/models/fraud/versions/one")]
    [InlineData("/v1/models/fraud/versions/0")]
    [InlineData("/v1/models/fraud/compare?a=1")]
    [InlineData("/v1/models/fraud/compare?a=x&b=1")]
    [InlineData("/v1/events?after=-1")]
    [InlineData("/v1/audit?limit=0")]
    public async Task InvalidQueryOrPathNumber_Returns400InvalidArgument(string path) =>
        await RejectedAsync(_server.Admin, HttpMethod.Get, path, null, HttpStatusCode.BadRequest, "INVALID_ARGUMENT");

    [Fact]
    public async Task MoveAlias_MalformedIfMatchOrOverlongReason_Returns400InvalidArgument()
    {
        await RejectedAsync(_server.Admin, HttpMethod.Put, "/v1/models/fraud/aliases/prod", """{"version":1}""",
            HttpStatusCode.BadRequest, "INVALID_ARGUMENT", r => r.Headers.TryAddWithoutValidation("If-Match", "latest"));
        await RejectedAsync(_server.Admin, HttpMethod.Put, "/v1/models/fraud/aliases/prod",
            $$"""{"version":1,"reason":"{{new string('r', 1025)}}"}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
    }

    [Fact]
    public async Task CreateRun_InvalidRunId_Returns400InvalidArgument() =>
        await RejectedAsync(_server.Admin, HttpMethod.Post, "/v1/runs", """{"run_id":"a/b"}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
}
