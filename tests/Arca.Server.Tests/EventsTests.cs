using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Arca.Server.Tests;

public sealed class EventsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonElement[] Events(JsonElement list) => [.. list.GetProperty("events").EnumerateArray()];

    [Fact]
    public async Task LongPoll_WhenEventsExist_ReturnsThemImmediately_InGapFreeOrder()
    {
        await _server.Admin.CreateModelAsync("fraud");
        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"));
        await _server.Admin.MoveAliasAsync("fraud", "prod", 1);
        await _server.Admin.PatchJsonAsync("/v1/models/fraud", """{"owner":"x"}""");
        using (var run = await _server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1"}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }

        var clock = Stopwatch.StartNew();
        var list = await _server.Admin.GetJsonAsync("/v1/events?after=0&wait=5");
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        var events = Events(list);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, events.Select(e => e.Long("seq")));
        Assert.Equal(["model.created", "version.registered", "alias.moved", "model.updated", "run.created"], events.Select(e => e.Str("type")));
        Assert.Equal(["fraud", "fraud", "fraud", "fraud", null], events.Select(e => e.TryGetProperty("model", out var m) ? m.GetString() : null));
        Assert.Equal(1, events[1].GetProperty("payload").Long("version"));
        Assert.Equal("prod", events[2].GetProperty("payload").Str("alias"));
        Assert.Equal(5, list.Long("next"));
    }

    [Fact]
    public async Task LongPoll_AfterAndLimit_SelectAWindow()
    {
        for (var i = 0; i < 5; i++)
        {
            await _server.Admin.CreateModelAsync($"m{i}");
        }

        var list = await _server.Admin.GetJsonAsync("/v1/events?after=2&limit=2");

        Assert.Equal(new long[] { 3, 4 }, Events(list).Select(e => e.Long("seq")));
        Assert.Equal("m2", Events(list)[0].Str("model"));
        Assert.Equal(4, list.Long("next"));
    }

    [Fact]
    public async Task LongPoll_WaitingWithNothingNew_WakesUpWhenAWriteHappens()
    {
        await _server.Admin.CreateModelAsync("fraud");
        var after = _server.Services.Events.LastSeq();
        Assert.Equal(1, after);

        var clock = Stopwatch.StartNew();
        var poll = _server.Admin.GetAsync($"/v1/events?after={after}&wait=5");
        var first = await Task.WhenAny(poll, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.NotSame(poll, first); // nothing new yet: the server holds the request

        await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("wake"));
        using var response = await poll;
        clock.Stop();

        var list = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the poll returned only after {clock.Elapsed}");
        var e = Assert.Single(Events(list));
        Assert.Equal(2, e.Long("seq"));
        Assert.Equal("version.registered", e.Str("type"));
        Assert.Equal(TestHttp.Digest("wake"), e.GetProperty("payload").Str("artifact_digest"));
        Assert.Equal(2, list.Long("next"));
    }

    [Fact]
    public async Task LongPoll_NothingHappens_ReturnsEmptyAfterTheWait()
    {
        await _server.Admin.CreateModelAsync("fraud");

        var clock = Stopwatch.StartNew();
        var list = await _server.Admin.GetJsonAsync("/v1/events?after=1&wait=1");
        clock.Stop();

        Assert.Empty(Events(list));
        Assert.Equal(1, list.Long("next"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"returned after {clock.Elapsed}");
    }

    [Fact]
    public async Task LongPoll_WaitAboveTheMaximum_Returns400()
    {
        using var response = await _server.Admin.GetAsync($"/v1/events?wait={_server.Options.LongPollMaxSeconds + 1}");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
    }

    [Fact]
    public async Task Events_ForAScopedToken_LeaveOutModelsOutsideItsScope()
    {
        await _server.Admin.CreateModelAsync("team/a");
        await _server.Admin.CreateModelAsync("other/b");
        using (var run = await _server.Admin.PostJsonAsync("/v1/runs", """{"run_id":"r1"}"""))
        {
            await run.ExpectAsync(HttpStatusCode.Created);
        }
        var reader = _server.Client((await _server.CreateTokenAsync(["read"], "team/*")).Token);

        var list = await reader.GetJsonAsync("/v1/events?after=0");

        Assert.Equal(new long[] { 1, 3 }, Events(list).Select(e => e.Long("seq")));
        Assert.Equal(3, list.Long("next"));
    }

    [Fact]
    public async Task Sse_DeliversAnEventWrittenWhileConnected()
    {
        await _server.Admin.CreateModelAsync("fraud");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events?after=1");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await _server.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        await _server.Admin.MoveAliasAsync("fraud", "prod", (await _server.Admin.RegisterAsync("fraud", TestHttp.Digest("a"))).Long("version"));

        var first = await ReadFrameAsync(reader, cts.Token);
        var second = await ReadFrameAsync(reader, cts.Token);
        Assert.Equal(("2", "version.registered"), (first.Id, first.Event));
        Assert.Equal(2, first.Data.Long("seq"));
        Assert.Equal(TestHttp.Digest("a"), first.Data.GetProperty("payload").Str("artifact_digest"));
        Assert.Equal(("3", "alias.moved"), (second.Id, second.Event));
        Assert.Equal("prod", second.Data.GetProperty("payload").Str("alias"));
    }

    [Fact]
    public async Task Sse_WithLastEventId_ResumesAfterIt()
    {
        for (var i = 0; i < 3; i++)
        {
            await _server.Admin.CreateModelAsync($"m{i}");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "1");

        using var response = await _server.Admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));

        var frame = await ReadFrameAsync(reader, cts.Token);
        Assert.Equal(("2", "model.created", "m1"), (frame.Id, frame.Event, frame.Data.Str("model")));
        Assert.Equal("3", (await ReadFrameAsync(reader, cts.Token)).Id);
    }

    /// <summary>Reads one SSE frame (id, event, data), skipping keep-alive comments.</summary>
    private static async Task<(string Id, string Event, JsonElement Data)> ReadFrameAsync(StreamReader reader, CancellationToken ct)
    {
        string id = "", type = "", data = "";
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return (id, type, TestHttp.Parse(data));
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = (line[..colon], line[(colon + 1)..].TrimStart());
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data += value; break;
            }
        }
    }
}
