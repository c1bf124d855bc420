using System.Globalization;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Blobs;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>Versions: register, get (immutable, cacheable forever), list/filter/sort, compare, lineage.</summary>
internal sealed class VersionEndpoints(ArcaServices s, Access access)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/models/{name}/versions", Register);
        app.MapGet("/v1/models/{name}/versions", List);
        app.MapGet("/v1/models/{name}/versions/{version}", Get);
        app.MapGet("/v1/models/{name}/versions/{version}/lineage", GetLineage);
        app.MapGet("/v1/models/{name}/compare", Compare);
        app.MapGet("/v1/lineage", FindByLineage);
    }

    private async Task Register(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Write, name) is not { } caller)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.RegisterVersionRequest, s.Options.MaxBodyBytes);
        if (body is null)
        {
            return;
        }
        var result = await s.Versions.RegisterAsync(caller.Actor, name, new VersionSpec
        {
            ArtifactDigest = body.ArtifactDigest,
            RunId = body.RunId,
            Framework = body.Framework ?? "",
            Metrics = body.Metrics ?? [],
            Params = body.Params ?? [],
            Tags = body.Tags ?? [],
        });
        if (!result.IsOk)
        {
            if (result.Value is { } existing)
            {
                ctx.Response.Headers.Location = VersionPath(existing);
            }
            await Exchange.Problem(ctx, result);
            return;
        }
        ctx.Response.Headers.Location = VersionPath(result.Value);
        await Exchange.Json(ctx, result.Value, ServerJson.Web.ModelVersion, StatusCodes.Status201Created);
    }

    private async Task Get(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null || await VersionNumber(ctx) is not { } number)
        {
            return;
        }
        var result = s.Versions.Get(name, number);
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        // A version never changes: its ETag is its artifact digest and caches may keep it forever.
        var etag = "\"" + result.Value.ArtifactDigest + "\"";
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        if (ctx.Request.Headers.IfNoneMatch.Contains(etag))
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await Exchange.Json(ctx, result.Value, ServerJson.Web.ModelVersion);
    }

    private async Task List(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null
            || await Exchange.QueryIntAsync(ctx, "limit", 50, 1, 1000) is not { } limit)
        {
            return;
        }
        var result = s.Versions.List(name, new VersionQuery
        {
            Alias = Exchange.Query(ctx, "alias"),
            Tags = [.. ctx.Request.Query["tag"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!)],
            Filter = Exchange.Query(ctx, "filter"),
            Sort = Exchange.Query(ctx, "sort"),
            Limit = (int)limit,
            Cursor = Exchange.Query(ctx, "cursor"),
        });
        await (result.IsOk
            ? Exchange.Json(ctx, new VersionList(result.Value.Items, result.Value.NextCursor), ServerJson.Web.VersionList)
            : Exchange.Problem(ctx, result));
    }

    private async Task Compare(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null
            || await Exchange.QueryIntAsync(ctx, "a", 0, 1, long.MaxValue) is not { } a
            || await Exchange.QueryIntAsync(ctx, "b", 0, 1, long.MaxValue) is not { } b)
        {
            return;
        }
        if (a == 0 || b == 0)
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "give the two versions as ?a=N&b=M");
            return;
        }
        var result = s.Versions.Compare(name, a, b);
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        var comparison = result.Value with
        {
            Layers = ArtifactComparison.Compare(s.BlobCatalog, result.Value.A.ArtifactDigest, result.Value.B.ArtifactDigest),
        };
        await Exchange.Json(ctx, comparison, ServerJson.Web.VersionComparison);
    }

    private async Task GetLineage(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null || await VersionNumber(ctx) is not { } number)
        {
            return;
        }
        var result = s.Versions.Get(name, number);
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        var v = result.Value;
        var run = v.RunId is null ? null : s.Runs.Get(v.RunId).Value;
        await Exchange.Json(ctx, new Lineage(v.Model, v.Version, v.ArtifactDigest, run), ServerJson.Web.Lineage);
    }

    private async Task FindByLineage(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is not { } caller
            || await Exchange.QueryIntAsync(ctx, "limit", 100, 1, 1000) is not { } limit)
        {
            return;
        }
        var dataset = Exchange.Query(ctx, "dataset");
        var commit = Exchange.Query(ctx, "commit");
        var image = Exchange.Query(ctx, "image");
        if (dataset is null && commit is null && image is null)
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument, "give at least one of ?dataset=, ?commit=, ?image=");
            return;
        }
        var found = s.Versions.FindByLineage(dataset, commit, image, (int)limit)
            .Where(v => caller.Allows(Roles.Read, v.Model)).ToList();
        await Exchange.Json(ctx, new VersionList(found, null), ServerJson.Web.VersionList);
    }

    private static async Task<long?> VersionNumber(HttpContext ctx)
    {
        var raw = Exchange.Route(ctx, "version");
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            return n;
        }
        await Exchange.Problem(ctx, ProblemCode.InvalidArgument, $"'{raw}' is not a version number");
        return null;
    }

    private static string VersionPath(ModelVersion v) =>
        $"/v1/models/{v.Model}/versions/{v.Version.ToString(CultureInfo.InvariantCulture)}";
}
