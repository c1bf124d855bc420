using Arca.Metadata;
using Microsoft.AspNetCore.Http;

namespace Arca.Server.Http;

/// <summary>
/// Lets namespaced model names (<c>team/model</c>) appear unescaped in paths: <c>/v1/models/team/model/versions</c>
/// is routed as the single segment <c>team~model</c> (<c>~</c> is not allowed in names, so this is unambiguous;
/// the second segment is a name unless it is one of <see cref="Names.Reserved"/>).
/// </summary>
public sealed class ModelPathRewriter(RequestDelegate next)
{
    private const string Prefix = "/v1/models/";

    /// <summary>Where the path as the client sent it is kept, for problem <c>instance</c> fields.</summary>
    public const string OriginalPathKey = "arca.original-path";

    public Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value;
        if (path is not null && path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var rest = path.AsSpan(Prefix.Length);
            var first = rest.IndexOf('/');
            if (first > 0)
            {
                var afterFirst = rest[(first + 1)..];
                var second = afterFirst.IndexOf('/');
                var segment = (second < 0 ? afterFirst : afterFirst[..second]).ToString();
                if (segment.Length > 0 && !Names.Reserved.Contains(segment))
                {
                    ctx.Items[OriginalPathKey] = path;
                    ctx.Request.Path = new PathString(string.Concat(Prefix, rest[..first], "~", afterFirst));
                }
            }
        }
        return next(ctx);
    }
}
