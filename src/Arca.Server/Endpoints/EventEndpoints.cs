using System.Globalization;
using System.Text;
using System.Text.Json;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>
/// <c>GET /v1/events?after=N&amp;wait=30</c>: long-poll over the durable event log, or server-sent events when the
/// client sends <c>Accept: text/event-stream</c> (resumable with <c>Last-Event-ID</c>). Events of models outside
/// the token's scope are left out.
/// </summary>
internal sealed class EventEndpoints(ArcaServices s, Access access)
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public void Map(IEndpointRouteBuilder app) => app.MapGet("/v1/events", Get);

    private async Task Get(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is not { } caller
            || await Exchange.QueryIntAsync(ctx, "after", 0, 0, long.MaxValue) is not { } after
            || await Exchange.QueryIntAsync(ctx, "limit", 100, 1, 1000) is not { } limit
            || await Exchange.QueryIntAsync(ctx, "wait", 0, 0, s.Options.LongPollMaxSeconds) is not { } wait)
        {
            return;
        }
        if (ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase)))
        {
            if (long.TryParse(ctx.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                after = last;
            }
            await Stream(ctx, caller, after);
            return;
        }
        // Where the log ends now: a follower (a seeder or edge) starts from here rather than replaying history.
        ctx.Response.Headers["X-Arca-Last-Seq"] = s.Events.LastSeq().ToString(CultureInfo.InvariantCulture);
        var events = await s.Events.ReadOrWaitAsync(after, (int)limit, TimeSpan.FromSeconds(wait), ctx.RequestAborted);
        var next = events.Count > 0 ? events[^1].Seq : after;
        await Exchange.Json(ctx, new EventList(Visible(events, caller), next), ServerJson.Web.EventList);
    }

    private async Task Stream(HttpContext ctx, Principal caller, long after)
    {
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        var ct = ctx.RequestAborted;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var events = await s.Events.ReadOrWaitAsync(after, 500, Heartbeat, ct);
                if (events.Count == 0)
                {
                    await ctx.Response.Body.WriteAsync(": keep-alive\n\n"u8.ToArray(), ct);
                }
                foreach (var e in Visible(events, caller))
                {
                    var data = JsonSerializer.Serialize(e, ServerJson.Web.EventRecord);
                    var frame = $"id: {e.Seq.ToString(CultureInfo.InvariantCulture)}\nevent: {e.Type}\ndata: {data}\n\n";
                    await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
                }
                if (events.Count > 0)
                {
                    after = events[^1].Seq;
                }
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

    private static List<EventRecord> Visible(IReadOnlyList<EventRecord> events, Principal caller) =>
        [.. events.Where(e => e.Model is null || caller.Allows(Roles.Read, e.Model))];
}
