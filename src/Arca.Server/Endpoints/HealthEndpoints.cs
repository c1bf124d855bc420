using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;

namespace Arca.Server.Endpoints;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the metadata database answers a query.</summary>
internal sealed class HealthEndpoints(ArcaServices s)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", ctx => Exchange.Json(ctx, new HealthStatus("ok", s.Options.Mode) { DataUrl = s.Links.BaseUrl(ctx) },
            ServerJson.Web.HealthStatus));
        app.MapGet("/readyz", Ready);
    }

    private async Task Ready(HttpContext ctx)
    {
        try
        {
            s.Events.LastSeq();
        }
        catch (SqliteException e)
        {
            await Exchange.Problem(ctx, ProblemCode.NotReady, "metadata database: " + e.Message);
            return;
        }
        await Exchange.Json(ctx, new HealthStatus("ready", s.Options.Mode), ServerJson.Web.HealthStatus);
    }
}
