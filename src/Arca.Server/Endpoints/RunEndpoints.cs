using System.Security.Cryptography;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary><c>/v1/runs</c>: record and read the provenance of versions.</summary>
internal sealed class RunEndpoints(ArcaServices s, Access access)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/runs", Create);
        app.MapGet("/v1/runs/{id}", Get);
    }

    private async Task Create(HttpContext ctx)
    {
        // Runs are not model-scoped: any token with the write role on some models may record one.
        if (await access.RequireAsync(ctx, Roles.Write, null) is not { } caller)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.CreateRunRequest, s.Options.MaxBodyBytes);
        if (body is null)
        {
            return;
        }
        var result = await s.Runs.CreateAsync(caller.Actor, new Run
        {
            RunId = body.RunId ?? "run-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            DatasetVersion = body.DatasetVersion ?? "",
            CodeCommit = body.CodeCommit ?? "",
            ContainerImage = body.ContainerImage ?? "",
            Hyperparams = body.Hyperparams ?? [],
            StartedAt = body.StartedAt,
            FinishedAt = body.FinishedAt,
        });
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        ctx.Response.Headers.Location = "/v1/runs/" + result.Value.RunId;
        await Exchange.Json(ctx, result.Value, ServerJson.Web.Run, StatusCodes.Status201Created);
    }

    private async Task Get(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null)
        {
            return;
        }
        var result = s.Runs.Get(Exchange.Route(ctx, "id"));
        await (result.IsOk ? Exchange.Json(ctx, result.Value, ServerJson.Web.Run) : Exchange.Problem(ctx, result));
    }
}
