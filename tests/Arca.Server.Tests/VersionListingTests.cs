using System.Net;
using System.Text.Json;

namespace Arca.Server.Tests;

/// <summary>
/// <c>GET /v1/models/{name}/versions</c> over five versions registered one minute apart (a manual clock makes
/// <c>created_at</c> exact): v1 f1=0.5, v2 f1=0.9 (alias prod), v3 f1=0.7, v4 f1=0.9 (by the "ci" token), v5 no f1.
/// </summary>
public sealed class VersionListingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(T0);
    private TestServer _server = null!;
    private string _ciActor = "";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(time: _clock);
        var ci = _server.Client((await _server.CreateTokenAsync(["write"], "*", "ci")).Token);
        await Register(_server.Admin, 1, ""","metrics":{"f1":0.5},"params":{"lr":0.1,"optimizer":"adam"},"tags":{"env":"dev","team":"a"}""");
        await Register(_server.Admin, 2, ""","metrics":{"f1":0.9},"params":{"lr":0.01,"optimizer":"sgd"},"tags":{"env":"prod","team":"a"}""");
        await Register(_server.Admin, 3, ""","metrics":{"f1":0.7},"params":{"lr":"0.001","optimizer":"adam"},"tags":{"env":"dev","team":"b"}""");
        _ciActor = (await Register(ci, 4, ""","metrics":{"f1":0.9},"params":{"lr":0.2,"optimizer":"adam"},"tags":{"env":"prod","team":"b"}"""))
            .Str("created_by");
        await Register(_server.Admin, 5, ""","metrics":{"acc":0.8},"params":{"optimizer":"sgd"},"tags":{"env":"staging"}""");
        await _server.Admin.MoveAliasAsync("m", "prod", 2);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> Register(HttpClient client, int n, string extra)
    {
        _clock.Now = T0.AddMinutes(n);
        var v = await client.RegisterAsync("m", TestHttp.Digest($"v{n}"), extra);
        Assert.Equal(n, v.Long("version"));
        return v;
    }

    private async Task<long[]> ListAsync(string query) =>
        (await _server.Admin.GetJsonAsync("/v1/models/m/versions" + query)).VersionNumbers();

    [Fact]
    public async Task List_WithoutParameters_ReturnsNewestFirstOnOnePage()
    {
        var list = await _server.Admin.GetJsonAsync("/v1/models/m/versions");

        Assert.Equal(new long[] { 5, 4, 3, 2, 1 }, list.VersionNumbers());
        Assert.False(list.Has("next_cursor"));
    }

    [Theory]
    [InlineData("?alias=prod", new long[] { 2 })]
    [InlineData("?alias=canary", new long[0])]
    [InlineData("?tag=env:prod", new long[] { 4, 2 })]
    [InlineData("?tag=env:dev&tag=team:b", new long[] { 3 })]
    [InlineData("?tag=team:a&tag=env:prod", new long[] { 2 })]
    [InlineData("?tag=env:nowhere", new long[0])]
    [InlineData("?alias=prod&tag=env:dev", new long[0])]
    public async Task List_ByAliasAndTags_ReturnsExactlyTheMatches(string query, long[] expected) =>
        Assert.Equal(expected, await ListAsync(query));

    [Theory]
    [InlineData("metrics.f1=0.9", new long[] { 4, 2 })]
    [InlineData("metrics.f1!=0.9", new long[] { 3, 1 })]
    [InlineData("metrics.f1<0.7", new long[] { 1 })]
    [InlineData("metrics.f1<=0.7", new long[] { 3, 1 })]
    [InlineData("metrics.f1>0.7", new long[] { 4, 2 })]
    [InlineData("metrics.f1>=0.7", new long[] { 4, 3, 2 })]
    [InlineData("metrics.acc>0.5", new long[] { 5 })]
    [InlineData("params.lr=0.01", new long[] { 2 })]
    [InlineData("params.lr!=0.01", new long[] { 4, 3, 1 })]
    [InlineData("params.lr<0.05", new long[] { 3, 2 })]
    [InlineData("params.lr<=0.1", new long[] { 3, 2, 1 })]
    [InlineData("params.lr>0.1", new long[] { 4 })]
    [InlineData("params.lr>=0.1", new long[] { 4, 1 })]
    [InlineData("params.optimizer=adam", new long[] { 4, 3, 1 })]
    [InlineData("params.optimizer!=adam", new long[] { 5, 2 })]
    [InlineData("version=4", new long[] { 4 })]
    [InlineData("version!=3", new long[] { 5, 4, 2, 1 })]
    [InlineData("version<2", new long[] { 1 })]
    [InlineData("version<=2", new long[] { 2, 1 })]
    [InlineData("version>4", new long[] { 5 })]
    [InlineData("version>=3", new long[] { 5, 4, 3 })]
    [InlineData("created_at=2025-01-01T00:03:00Z", new long[] { 3 })]
    [InlineData("created_at!=2025-01-01T00:03:00Z", new long[] { 5, 4, 2, 1 })]
    [InlineData("created_at<2025-01-01T00:02:00Z", new long[] { 1 })]
    [InlineData("created_at<=2025-01-01T00:02:00Z", new long[] { 2, 1 })]
    [InlineData("created_at>2025-01-01T00:02:00Z", new long[] { 5, 4, 3 })]
    [InlineData("created_at>=2025-01-01T00:04:00Z", new long[] { 5, 4 })]
    [InlineData("metrics.f1>=0.7,version<4", new long[] { 3, 2 })]
    [InlineData("metrics.f1>0.6, params.optimizer=adam", new long[] { 4, 3 })]
    public async Task List_WithFilter_ReturnsExactlyTheMatches(string filter, long[] expected) =>
        Assert.Equal(expected, await ListAsync("?filter=" + Uri.EscapeDataString(filter)));

    [Fact]
    public async Task List_FilterOnCreatedBy_MatchesTheActor()
    {
        Assert.StartsWith("ci (", _ciActor, StringComparison.Ordinal);

        Assert.Equal(new long[] { 4 }, await ListAsync("?filter=" + Uri.EscapeDataString("created_by=" + _ciActor)));
        Assert.Equal(new long[] { 5, 3, 2, 1 }, await ListAsync("?filter=" + Uri.EscapeDataString("created_by!=" + _ciActor)));
    }

    [Theory]
    [InlineData("version", new long[] { 1, 2, 3, 4, 5 })]
    [InlineData("-version", new long[] { 5, 4, 3, 2, 1 })]
    [InlineData("created_at", new long[] { 1, 2, 3, 4, 5 })]
    [InlineData("-created_at", new long[] { 5, 4, 3, 2, 1 })]
    [InlineData("metrics.f1", new long[] { 1, 3, 2, 4 })]
    [InlineData("-metrics.f1", new long[] { 4, 2, 3, 1 })]
    [InlineData("metrics.acc", new long[] { 5 })]
    public async Task List_Sorted_ReturnsTheOrder(string sort, long[] expected) =>
        Assert.Equal(expected, await ListAsync("?sort=" + sort));

    [Fact]
    public async Task List_SortAndFilterOnTheSameMetric_Combine() =>
        Assert.Equal(new long[] { 3, 1 }, await ListAsync("?sort=-metrics.f1&filter=" + Uri.EscapeDataString("metrics.f1<0.9")));

    [Theory]
    [InlineData("", 1)]
    [InlineData("", 2)]
    [InlineData("version", 2)]
    [InlineData("created_at", 3)]
    [InlineData("-created_at", 2)]
    [InlineData("metrics.f1", 1)]
    [InlineData("-metrics.f1", 3)]
    public async Task List_PagedWithCursor_YieldsTheSameSequenceAsOnePage(string sort, int limit)
    {
        var sortQuery = sort.Length == 0 ? "" : "&sort=" + sort;
        var whole = await ListAsync("?limit=100" + sortQuery);

        var paged = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _server.Admin.GetJsonAsync($"/v1/models/m/versions?limit={limit}{sortQuery}" + (cursor is null ? "" : "&cursor=" + cursor));
            var numbers = page.VersionNumbers();
            Assert.True(numbers.Length <= limit);
            paged.AddRange(numbers);
            cursor = page.Has("next_cursor") ? page.Str("next_cursor") : null;
            pages++;
        }
        while (cursor is not null && pages < 20);

        Assert.Equal(whole, paged);
        Assert.Equal((whole.Length + limit - 1) / limit, pages);
    }

    [Fact]
    public async Task Pagination_NewVersionsInsertedBetweenPages_NeitherRepeatNorSkipEarlierOnes()
    {
        var first = await _server.Admin.GetJsonAsync("/v1/models/m/versions?limit=2");
        Assert.Equal(new long[] { 5, 4 }, first.VersionNumbers());

        await Register(_server.Admin, 6, "");
        await Register(_server.Admin, 7, "");

        var second = await _server.Admin.GetJsonAsync("/v1/models/m/versions?limit=2&cursor=" + first.Str("next_cursor"));
        var third = await _server.Admin.GetJsonAsync("/v1/models/m/versions?limit=2&cursor=" + second.Str("next_cursor"));
        Assert.Equal(new long[] { 3, 2 }, second.VersionNumbers());
        Assert.Equal(new long[] { 1 }, third.VersionNumbers());
        Assert.False(third.Has("next_cursor"));
    }

    [Fact]
    public async Task Pagination_ByMetric_InsertsBehindTheCursorAreSkipped_AheadAreIncluded()
    {
        var first = await _server.Admin.GetJsonAsync("/v1/models/m/versions?sort=metrics.f1&limit=2");
        Assert.Equal(new long[] { 1, 3 }, first.VersionNumbers());

        await Register(_server.Admin, 6, ""","metrics":{"f1":0.6}""");  // sorts before the cursor
        await Register(_server.Admin, 7, ""","metrics":{"f1":0.95}"""); // after it
        await Register(_server.Admin, 8, ""","metrics":{"f1":0.7}""");  // ties with the cursor, higher version

        var second = await _server.Admin.GetJsonAsync("/v1/models/m/versions?sort=metrics.f1&limit=2&cursor=" + first.Str("next_cursor"));
        var third = await _server.Admin.GetJsonAsync("/v1/models/m/versions?sort=metrics.f1&limit=2&cursor=" + second.Str("next_cursor"));
        Assert.Equal(new long[] { 8, 2 }, second.VersionNumbers());
        Assert.Equal(new long[] { 4, 7 }, third.VersionNumbers());
        Assert.False(third.Has("next_cursor"));
    }

    [Fact]
    public async Task List_UnknownModel_Returns404()
    {
        using var response = await _server.Admin.GetAsync("/v1/models/ghost/versions");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }
}
