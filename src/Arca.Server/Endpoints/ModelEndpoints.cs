using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary><c>/v1/models</c>: create, get, list by prefix, update descriptive fields.</summary>
internal sealed class ModelEndpoints(ArcaServices s, Access access)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/models", Create);
        app.MapGet("/v1/models", List);
        app.MapGet("/v1/models/{name}", Get);
        app.MapMethods("/v1/models/{name}", ["PATCH"], Update);
    }

    private async Task Create(HttpContext ctx)
    {
        // Authenticate before reading the body; the model scope can only be checked once the name is known.
        if (await access.RequireAsync(ctx, Roles.Write, null) is null)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.CreateModelRequest, s.Options.MaxBodyBytes);
        if (body is null || await access.RequireAsync(ctx, Roles.Write, body.Name) is not { } caller)
        {
            return;
        }
        var result = await s.Models.CreateAsync(caller.Actor, body.Name,
            new ModelSpec { Owner = body.Owner, TaskType = body.TaskType, Description = body.Description });
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        ctx.Response.Headers.Location = "/v1/models/" + result.Value.Name;
        await Exchange.Json(ctx, result.Value, ServerJson.Web.Model, StatusCodes.Status201Created);
    }

    private async Task Get(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Read, name) is null)
        {
            return;
        }
        var result = s.Models.Get(name);
        await (result.IsOk ? Exchange.Json(ctx, result.Value, ServerJson.Web.Model) : Exchange.Problem(ctx, result));
    }

    private async Task List(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is not { } caller
            || await Exchange.QueryIntAsync(ctx, "limit", 100, 1, 1000) is not { } limit)
        {
            return;
        }
        var result = s.Models.List(Exchange.Query(ctx, "prefix"), (int)limit, Exchange.Query(ctx, "cursor"));
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        var visible = result.Value.Items.Where(m => caller.Allows(Roles.Read, m.Name)).ToList();
        await Exchange.Json(ctx, new ModelList(visible, result.Value.NextCursor), ServerJson.Web.ModelList);
    }

    private async Task Update(HttpContext ctx)
    {
        var name = Exchange.ModelName(ctx);
        if (await access.RequireAsync(ctx, Roles.Write, name) is not { } caller)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.UpdateModelRequest, s.Options.MaxBodyBytes);
        if (body is null)
        {
            return;
        }
        var result = await s.Models.UpdateAsync(caller.Actor, name,
            new ModelSpec { Owner = body.Owner, TaskType = body.TaskType, Description = body.Description });
        await (result.IsOk ? Exchange.Json(ctx, result.Value, ServerJson.Web.Model) : Exchange.Problem(ctx, result));
    }
}
