using System.Globalization;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>Aliases: resolve (hot path, served from memory), move (promote/rollback), delete, history.</summary>
internal sealed class AliasEndpoints(ArcaServices s, Access access)
{
    private const int MaxReason = 1024;

    private readonly string _resolveCacheControl =
        "max-age=" + s.Options.ResolveMaxAgeSeconds.ToString(CultureInfo.InvariantCulture);

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models/{name}/aliases", List);
        app.MapGet("/v1/models/{name}/aliases/{alias}", Resolve);
        app.MapPut("/v1/models/{name}/aliases/{alias}", Move);
        app.MapDelete("/v1/models/{name}/aliases/{alias}", Delete);
        app.MapGet("/v1/models/{name}/aliases/{alias}/history", History);
    }

    private async Task Resolve(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null)
        {
            return;
        }
        var result = s.Aliases.Resolve(name, Exchange.Route(ctx, "alias"));
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        var etag = ETag(result.Value.Revision);
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers.CacheControl = _resolveCacheControl;
        if (ctx.Request.Headers.IfNoneMatch.Contains(etag))
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await Exchange.Json(ctx, result.Value, ServerJson.Web.AliasTarget);
    }

    private async Task List(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null)
        {
            return;
        }
        var model = s.Models.Get(name);
        if (!model.IsOk)
        {
            await Exchange.Problem(ctx, model);
            return;
        }
        await Exchange.Json(ctx, new AliasList(s.Aliases.List(name)), ServerJson.Web.AliasList);
    }

    private async Task Move(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Promote, name) is not { } caller)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.MoveAliasRequest, s.Options.MaxBodyBytes);
        if (body is null || !await ValidReason(ctx, body.Reason))
        {
            return;
        }
        if (!TryIfMatch(ctx, out var expected))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "If-Match must be a revision such as \"3\", or *");
            return;
        }
        var result = await s.Aliases.MoveAsync(caller.Actor, name, Exchange.Route(ctx, "alias"), body.Version,
            body.Reason ?? "", expected);
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        ctx.Response.Headers.ETag = ETag(result.Value.Revision);
        await Exchange.Json(ctx, result.Value, ServerJson.Web.AliasTarget);
    }

    private async Task Delete(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Promote, name) is not { } caller)
        {
            return;
        }
        var reason = Exchange.Query(ctx, "reason");
        if (!await ValidReason(ctx, reason))
        {
            return;
        }
        if (!TryIfMatch(ctx, out var expected))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "If-Match must be a revision such as \"3\", or *");
            return;
        }
        var result = await s.Aliases.DeleteAsync(caller.Actor, name, Exchange.Route(ctx, "alias"), reason ?? "", expected);
        await (result.IsOk ? Exchange.Json(ctx, result.Value, ServerJson.Web.AliasMove) : Exchange.Problem(ctx, result));
    }

    private async Task History(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null
            || await Exchange.QueryIntAsync(ctx, "limit", 100, 1, 1000) is not { } limit)
        {
            return;
        }
        var result = s.Aliases.History(name, Exchange.Route(ctx, "alias"), (int)limit, Exchange.Query(ctx, "cursor"));
        await (result.IsOk
            ? Exchange.Json(ctx, new AliasHistory(result.Value.Items, result.Value.NextCursor), ServerJson.Web.AliasHistory)
            : Exchange.Problem(ctx, result));
    }

    private static async Task<bool> ValidReason(HttpContext ctx, string? reason)
    {
        if (reason is null || reason.Length <= MaxReason)
        {
            return true;
        }
        await Exchange.Problem(ctx, ProblemCode.InvalidArgument, $"reason is longer than {MaxReason} characters");
        return false;
    }

    /// <summary>Parses If-Match: absent → unconditional, <c>*</c> → must exist, <c>"N"</c> / <c>W/"N"</c> / <c>N</c> → revision N.</summary>
    private static bool TryIfMatch(HttpContext ctx, out long? expected)
    {
        expected = null;
        var header = ctx.Request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return true;
        }
        var raw = (header[0] ?? "").Trim();
        if (raw == "*")
        {
            expected = AliasStore.AnyRevision;
            return true;
        }
        if (raw.StartsWith("W/", StringComparison.Ordinal))
        {
            raw = raw[2..];
        }
        if (long.TryParse(raw.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var rev))
        {
            expected = rev;
            return true;
        }
        return false;
    }

    private static string ETag(long revision) => "\"" + revision.ToString(CultureInfo.InvariantCulture) + "\"";
}
