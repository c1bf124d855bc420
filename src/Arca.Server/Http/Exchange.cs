using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Arca.Metadata;
using Arca.Server.Api;
using Microsoft.AspNetCore.Http;

namespace Arca.Server.Http;

/// <summary>Reading requests and writing JSON and problem responses, the same way on every endpoint.</summary>
public static class Exchange
{
    public const string JsonContentType = "application/json; charset=utf-8";
    public const string ProblemContentType = "application/problem+json; charset=utf-8";

    public static Task Json<T>(HttpContext ctx, T value, JsonTypeInfo<T> type, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = JsonContentType;
        return WriteJson(ctx, value, type);
    }

    /// <summary>
    /// Serialises into one buffer and sends it with a <c>Content-Length</c> in one write: no chunked framing,
    /// and the headers and the body leave in one segment. Responses are bounded (lists are paginated).
    /// </summary>
    private static Task WriteJson<T>(HttpContext ctx, T value, JsonTypeInfo<T> type)
    {
        // Serialised with the type's own options (their encoder leaves '&' and '+' in presigned URLs as they are).
        var body = JsonSerializer.SerializeToUtf8Bytes(value, type);
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }

    public static Task Problem(HttpContext ctx, string code, string? detail, ModelVersion? existing = null)
    {
        var status = ProblemCode.Status(code);
        var problem = new Problem
        {
            Title = ProblemCode.Title(code),
            Status = status,
            Detail = detail,
            Code = code,
            Instance = ctx.Items.TryGetValue(ModelPathRewriter.OriginalPathKey, out var original) ? original as string : ctx.Request.Path.Value,
            Existing = existing,
        };
        if (status == 401)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"arca\"";
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = ProblemContentType;
        return WriteJson(ctx, problem, ServerJson.Web.Problem);
    }

    public static Task Problem<T>(HttpContext ctx, StoreResult<T> failed) =>
        Problem(ctx, ProblemCode.From(failed.Error), failed.Detail, failed.Value as ModelVersion);

    /// <summary>Reads and deserialises a JSON body within the configured size limit; on failure writes the problem.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext ctx, JsonTypeInfo<T> type, long maxBytes) where T : class
    {
        if (ctx.Request.ContentLength > maxBytes)
        {
            await TooLarge(ctx, $"the body is {ctx.Request.ContentLength} bytes; the limit is {maxBytes}");
            return null;
        }
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var chunk = new byte[16 * 1024];
            int n;
            try
            {
                while ((n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
                {
                    if (buffer.Length + n > maxBytes)
                    {
                        await TooLarge(ctx, $"the body is larger than the limit of {maxBytes} bytes");
                        return null;
                    }
                    buffer.Write(chunk, 0, n);
                }
            }
            catch (BadHttpRequestException e) when (e.StatusCode == 413)
            {
                await TooLarge(ctx, $"the body is larger than the limit of {maxBytes} bytes");
                return null;
            }
            body = buffer.ToArray();
        }
        if (body.Length == 0)
        {
            await Problem(ctx, ProblemCode.MalformedJson, "the request needs a JSON body");
            return null;
        }
        try
        {
            var value = JsonSerializer.Deserialize(body, type);
            if (value is null)
            {
                await Problem(ctx, ProblemCode.MalformedJson, "the body must be a JSON object, not null");
            }
            return value;
        }
        catch (JsonException e)
        {
            var (code, detail) = Classify(e);
            await Problem(ctx, code, detail);
            return null;
        }
    }

    /// <summary>
    /// 413 without reading the rest of the body: the connection cannot be reused, so say so, or a client that reuses it
    /// for its next request sees that request fail.
    /// </summary>
    private static Task TooLarge(HttpContext ctx, string detail)
    {
        ctx.Response.Headers.Connection = "close";
        return Problem(ctx, ProblemCode.BodyTooLarge, detail);
    }

    private static (string Code, string Detail) Classify(JsonException e)
    {
        var message = e.Message;
        var path = e.Path is { Length: > 2 } p ? p[2..] : e.Path ?? "";
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var field = ExtractQuoted(message) ?? path;
            return (ProblemCode.UnknownField, $"unknown field '{field}'");
        }
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var i = message.IndexOf("properties", StringComparison.Ordinal);
            var names = message[(i + "properties".Length)..].Trim().TrimStart(':').Trim().TrimEnd('.');
            return (ProblemCode.MissingField, $"missing required field(s): {names}");
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return (ProblemCode.WrongType, $"field '{path}' has the wrong type");
        }
        return (ProblemCode.MalformedJson, $"invalid JSON at line {(e.LineNumber ?? 0) + 1}, byte {e.BytePositionInLine ?? 0}");
    }

    private static string? ExtractQuoted(string message)
    {
        var a = message.IndexOf('\'', StringComparison.Ordinal);
        var b = a < 0 ? -1 : message.IndexOf('\'', a + 1);
        return b > a ? message[(a + 1)..b] : null;
    }

    public static string? Query(HttpContext ctx, string name) =>
        ctx.Request.Query.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    /// <summary>Parses an integer query parameter within bounds; writes a 400 and returns null when malformed.</summary>
    public static async Task<long?> QueryIntAsync(HttpContext ctx, string name, long fallback, long min, long max)
    {
        var raw = Query(ctx, name);
        if (raw is null)
        {
            return fallback;
        }
        if (long.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v)
            && v >= min && v <= max)
        {
            return v;
        }
        await Problem(ctx, ProblemCode.InvalidArgument, $"query parameter '{name}' must be an integer in {min}..{max}");
        return null;
    }

    /// <summary>The model name of the route; <c>~</c> stands for the namespace slash (see <see cref="ModelPathRewriter"/>).</summary>
    public static string ModelName(HttpContext ctx) => ((string)ctx.Request.RouteValues["name"]!).Replace('~', '/');

    public static string Route(HttpContext ctx, string key) => (string)ctx.Request.RouteValues[key]!;
}
