using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>Tokens and the audit log. Both need the admin role with the unrestricted scope <c>*</c>.</summary>
internal sealed class AdminEndpoints(ArcaServices s, Access access)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/tokens", CreateToken);
        app.MapGet("/v1/tokens", ListTokens);
        app.MapDelete("/v1/tokens/{id}", RevokeToken);
        app.MapGet("/v1/audit", ListAudit);
        app.MapGet("/v1/audit/verify", VerifyAudit);
    }

    private async Task<Principal?> RequireAdmin(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Admin, null) is not { } caller)
        {
            return null;
        }
        if (caller.ModelsGlob != "*")
        {
            await Exchange.Problem(ctx, ProblemCode.Forbidden, "tokens and audit need an admin token scoped to all models ('*')");
            return null;
        }
        return caller;
    }

    private async Task CreateToken(HttpContext ctx)
    {
        if (await RequireAdmin(ctx) is not { } caller)
        {
            return;
        }
        var body = await Exchange.ReadAsync(ctx, ServerJson.Web.CreateTokenRequest, s.Options.MaxBodyBytes);
        if (body is null)
        {
            return;
        }
        if (!Principal.TryParseRoles(body.Roles, out var roles, out var bad))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidArgument,
                bad.Length > 0 ? $"unknown role '{bad}' (read, write, promote, admin)" : "give at least one role");
            return;
        }
        var result = await s.Tokens.CreateAsync(caller.Actor, body.Name, roles, body.Models ?? "*");
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, result);
            return;
        }
        var (info, token) = result.Value;
        ctx.Response.Headers.Location = "/v1/tokens/" + info.Id;
        ctx.Response.Headers.CacheControl = "no-store";
        await Exchange.Json(ctx, new TokenCreated(info.Id, info.Name, info.Roles, info.Models, info.CreatedAt, token),
            ServerJson.Web.TokenCreated, StatusCodes.Status201Created);
    }

    private async Task ListTokens(HttpContext ctx)
    {
        if (await RequireAdmin(ctx) is null)
        {
            return;
        }
        await Exchange.Json(ctx, new TokenList(s.Tokens.List()), ServerJson.Web.TokenList);
    }

    private async Task RevokeToken(HttpContext ctx)
    {
        if (await RequireAdmin(ctx) is not { } caller)
        {
            return;
        }
        var result = await s.Tokens.RevokeAsync(caller.Actor, Exchange.Route(ctx, "id"));
        await (result.IsOk ? Exchange.Json(ctx, result.Value, ServerJson.Web.TokenInfo) : Exchange.Problem(ctx, result));
    }

    private async Task ListAudit(HttpContext ctx)
    {
        if (await RequireAdmin(ctx) is null
            || await Exchange.QueryIntAsync(ctx, "after", 0, 0, long.MaxValue) is not { } after
            || await Exchange.QueryIntAsync(ctx, "limit", 100, 1, 1000) is not { } limit)
        {
            return;
        }
        var entries = s.Audit.Read(after, (int)limit);
        await Exchange.Json(ctx, new AuditList(entries, entries.Count > 0 ? entries[^1].Seq : after), ServerJson.Web.AuditList);
    }

    private async Task VerifyAudit(HttpContext ctx)
    {
        if (await RequireAdmin(ctx) is null)
        {
            return;
        }
        var (count, broken) = s.Audit.Verify();
        await Exchange.Json(ctx, new AuditVerification(count, broken is null, broken), ServerJson.Web.AuditVerification);
    }
}
