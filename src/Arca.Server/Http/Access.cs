using Arca.Metadata;
using Microsoft.AspNetCore.Http;

namespace Arca.Server.Http;

/// <summary>
/// Bearer-token authorization, checked at the top of every endpoint: 401 without a token or with a bad one,
/// 403 for a valid token lacking the role or the model scope.
/// </summary>
public sealed class Access(Func<string, ValueTask<Principal?>> authenticate, bool anonymousRead)
{
    /// <summary>An origin: tokens are checked against its own token store.</summary>
    public Access(TokenStore tokens, bool anonymousRead)
        : this(token => ValueTask.FromResult(tokens.Authenticate(token)), anonymousRead)
    {
    }

    /// <summary>The caller if allowed <paramref name="needed"/> on <paramref name="model"/>; otherwise writes the problem and returns null.</summary>
    public async ValueTask<Principal?> RequireAsync(HttpContext ctx, Roles needed, string? model)
    {
        var header = ctx.Request.Headers.Authorization;
        Principal? principal;
        if (header.Count == 0)
        {
            if (anonymousRead && needed == Roles.Read)
            {
                return Principal.Anonymous;
            }
            await Exchange.Problem(ctx, ProblemCode.Unauthorized, "send 'Authorization: Bearer <token>'");
            return null;
        }
        var value = header[0] ?? "";
        principal = value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await authenticate(value[7..].Trim())
            : null;
        if (principal is null)
        {
            await Exchange.Problem(ctx, ProblemCode.Unauthorized, "the bearer token is invalid or revoked");
            return null;
        }
        if (!principal.Allows(needed, model))
        {
            var what = needed.ToString().ToLowerInvariant();
            await Exchange.Problem(ctx, ProblemCode.Forbidden, model is null
                ? $"token '{principal.Name}' lacks the '{what}' role"
                : $"token '{principal.Name}' lacks the '{what}' role on model '{model}'");
            return null;
        }
        return principal;
    }
}
