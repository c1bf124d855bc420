using System.Globalization;
using System.Security.Cryptography;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Blobs;
using Arca.Server.Http;
using Arca.Server.Uploads;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary>
/// Blob uploads (OCI-distribution-style resumable sessions and monolithic PUT), existence checks, recipes and
/// manifests. Blob bytes are never served here: GET redirects to a presigned data-plane URL.
/// </summary>
internal sealed class BlobEndpoints(ArcaServices s, Access access)
{
    /// <summary>
    /// <c>HttpContext.Items</c> key under which a tier hands these endpoints the record of a blob it holds in memory
    /// (fetched from upstream, its local row possibly still committing).
    /// </summary>
    public const string HeldRecordKey = "arca.tier.blob";

    private const string UploadsPath = "/v1/blobs/uploads/";
    private const int MaxManifestBytes = 16 << 20;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/blobs/uploads", StartUpload);
        app.MapMethods("/v1/blobs/uploads/{id}", ["PATCH"], PatchUpload);
        app.MapGet("/v1/blobs/uploads/{id}", UploadProgress);
        app.MapPut("/v1/blobs/uploads/{id}", FinishUpload);
        app.MapDelete("/v1/blobs/uploads/{id}", CancelUpload);
        app.MapPut("/v1/blobs", PutMonolithic);
        app.MapMethods("/v1/blobs/{digest}", ["HEAD"], HeadBlob);
        app.MapGet("/v1/blobs/{digest}", GetBlob);
        app.MapGet("/v1/blobs/{digest}/recipe", GetRecipe);
        app.MapPut("/v1/manifests/{digest}", PutManifest);
        app.MapGet("/v1/manifests/{digest}", GetManifest);
    }

    private async Task StartUpload(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is null)
        {
            return;
        }
        var session = s.Uploads.Create();
        SetProgressHeaders(ctx, session);
        await Exchange.Json(ctx, new UploadStatus(session.Id, 0, UploadsPath + session.Id), ServerJson.Web.UploadStatus,
            StatusCodes.Status202Accepted);
    }

    private async Task PatchUpload(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is null || await Session(ctx) is not { } session)
        {
            return;
        }
        try
        {
            if (session.Writer.Digest is { } ended)
            {
                SetProgressHeaders(ctx, session);
                await Exchange.Problem(ctx, ProblemCode.UploadCompleted, EndedDetail(session, ended));
                return;
            }
            long? declared = null;
            if (ctx.Request.Headers.ContentRange.Count > 0)
            {
                if (!TryParseContentRange(ctx.Request.Headers.ContentRange[0], out var start, out var end))
                {
                    await Exchange.Problem(ctx, ProblemCode.ContentRangeInvalid, "Content-Range must be 'start-end' (inclusive byte offsets)");
                    return;
                }
                if (start != session.Offset)
                {
                    SetProgressHeaders(ctx, session);
                    await Exchange.Problem(ctx, ProblemCode.UploadOffsetMismatch,
                        $"this chunk starts at {start} but the upload has {session.Offset} bytes; resume from {session.Offset}");
                    return;
                }
                declared = end - start + 1;
            }
            UnlimitedBody(ctx);
            // A client that disconnects mid-chunk keeps what arrived: GET the session to learn where to resume.
            try
            {
                await BlobService.CopyBodyAsync(ctx.Request, session.Writer, declared, ctx.RequestAborted);
                if (declared is not null && await BlobService.HasMoreAsync(ctx.Request, ctx.RequestAborted))
                {
                    SetProgressHeaders(ctx, session);
                    await Exchange.Problem(ctx, ProblemCode.ContentRangeInvalid,
                        $"the body is longer than its Content-Range; the declared bytes were kept, the upload is at {session.Offset}");
                    return;
                }
            }
            catch (IOException e) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                // Writing failed on our side (e.g. a full disk): the session cannot be trusted any more.
                s.Uploads.Remove(session);
                await Exchange.Problem(ctx, ProblemCode.Internal, "storing the upload failed; start a new upload: " + e.Message);
                return;
            }
            finally
            {
                session.LastActivity = s.Time.GetUtcNow();
            }
            SetProgressHeaders(ctx, session);
            ctx.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task UploadProgress(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is null || await Session(ctx) is not { } session)
        {
            return;
        }
        SetProgressHeaders(ctx, session);
        session.Gate.Release();
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task FinishUpload(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is not { } caller || await ExpectedDigest(ctx) is not { } expected
            || await Session(ctx) is not { } session)
        {
            return;
        }
        try
        {
            UnlimitedBody(ctx);
            if (session.Writer.Digest is { } ended)
            {
                // An earlier PUT ended this upload with a digest that did not match: it takes no more bytes, only the
                // right digest.
                if (await BlobService.HasMoreAsync(ctx.Request, ctx.RequestAborted))
                {
                    SetProgressHeaders(ctx, session);
                    await Exchange.Problem(ctx, ProblemCode.UploadCompleted, EndedDetail(session, ended));
                    return;
                }
            }
            else
            {
                await BlobService.CopyBodyAsync(ctx.Request, session.Writer, null, ctx.RequestAborted);
            }
            var mediaType = Exchange.Query(ctx, "media_type") ?? "application/octet-stream";
            var record = await s.Blobs.CommitAsync(caller.Actor, session.Writer, expected, mediaType);
            if (record is null && session.Writer.Digest is { } actual && actual != expected)
            {
                // Kept: a wrong digest (a typo, the digest of another file) must not cost a 200 GB upload.
                session.LastActivity = s.Time.GetUtcNow();
                SetProgressHeaders(ctx, session);
                await Exchange.Problem(ctx, ProblemCode.DigestInvalid, MismatchDetail(session.Writer, actual, expected) +
                    $". The upload stays open: PUT it again with ?digest={actual} and no body to store these bytes, or DELETE it");
                return;
            }
            s.Uploads.Remove(session);
            await Committed(ctx, record, expected, session.Writer);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task CancelUpload(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is null || await Session(ctx) is not { } session)
        {
            return;
        }
        s.Uploads.Remove(session);
        session.Gate.Release();
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task PutMonolithic(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is not { } caller || await ExpectedDigest(ctx) is not { } expected)
        {
            return;
        }
        UnlimitedBody(ctx);
        using var writer = s.Blobs.Chunks.OpenWriter();
        await BlobService.CopyBodyAsync(ctx.Request, writer, null, ctx.RequestAborted);
        var record = await s.Blobs.CommitAsync(caller.Actor, writer, expected, Exchange.Query(ctx, "media_type") ?? "application/octet-stream");
        await Committed(ctx, record, expected, writer);
    }

    private static string MismatchDetail(BlobWriter writer, ChunkDigest actual, ChunkDigest expected) =>
        $"the {writer.Length} uploaded bytes hash to {actual}, not {expected}; nothing was stored";

    private static string EndedDetail(UploadSession session, ChunkDigest ended) =>
        $"this upload was ended by a PUT whose digest did not match: its {session.Offset} bytes hash to {ended} and it takes " +
        $"no more. PUT it with ?digest={ended} and no body to store them, or DELETE it";

    private static async Task Committed(HttpContext ctx, BlobRecord? record, ChunkDigest expected, BlobWriter writer)
    {
        if (record is null)
        {
            if (writer.Digest is { } actual && actual != expected)
            {
                await Exchange.Problem(ctx, ProblemCode.DigestInvalid, MismatchDetail(writer, actual, expected));
            }
            else
            {
                await Exchange.Problem(ctx, ProblemCode.Internal, "the blob's bytes are stored but its record could not be written; retry");
            }
            return;
        }
        ctx.Response.Headers.Location = "/v1/blobs/" + record.Digest;
        ctx.Response.Headers["Docker-Content-Digest"] = record.Digest;
        await Exchange.Json(ctx, Info(record), ServerJson.Web.BlobInfo, StatusCodes.Status201Created);
    }

    private async Task HeadBlob(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null || await Blob(ctx) is not { } blob)
        {
            return;
        }
        ctx.Response.ContentLength = blob.Size;
        ctx.Response.Headers.ETag = "\"" + blob.Digest + "\"";
        ctx.Response.Headers["Docker-Content-Digest"] = blob.Digest;
        ctx.Response.ContentType = blob.MediaType;
    }

    private async Task GetBlob(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null || await Blob(ctx) is not { } blob)
        {
            return;
        }
        var ttl = TimeSpan.FromSeconds(Math.Min(600, s.Options.PresignMaxTtlSeconds));
        ctx.Response.Headers.Location = s.Links.BlobUrl(ctx, blob.Digest, ttl, out _);
        ctx.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
    }

    private async Task GetRecipe(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null || await Blob(ctx) is not { } blob)
        {
            return;
        }
        var chunks = Recipe.Decode(blob.Recipe);
        var list = new List<RecipeChunk>(chunks.Length);
        long offset = 0;
        foreach (var c in chunks)
        {
            list.Add(new RecipeChunk(c.Digest.ToString(), offset, c.Length));
            offset += c.Length;
        }
        ctx.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        await Exchange.Json(ctx, new BlobRecipe(blob.Digest, blob.Size, list), ServerJson.Web.BlobRecipe);
    }

    private async Task PutManifest(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Write, null) is not { } caller)
        {
            return;
        }
        var digestText = Exchange.Route(ctx, "digest");
        if (!Names.IsValidDigest(digestText))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidDigest, $"'{digestText}' is not sha256: followed by 64 lowercase hex digits");
            return;
        }
        if (ctx.Request.ContentLength > MaxManifestBytes)
        {
            await Exchange.Problem(ctx, ProblemCode.BodyTooLarge, $"a manifest is at most {MaxManifestBytes} bytes");
            return;
        }
        UnlimitedBody(ctx);
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        if (buffer.Length > MaxManifestBytes)
        {
            await Exchange.Problem(ctx, ProblemCode.BodyTooLarge, $"a manifest is at most {MaxManifestBytes} bytes");
            return;
        }
        var body = buffer.ToArray();
        if ("sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)) != digestText)
        {
            await Exchange.Problem(ctx, ProblemCode.DigestInvalid, $"the manifest bytes do not hash to {digestText}");
            return;
        }
        if (ManifestDocument.Parse(body, out var error) is not { } layers)
        {
            await Exchange.Problem(ctx, ProblemCode.ManifestInvalid, error);
            return;
        }
        foreach (var layer in layers)
        {
            if (s.Blobs.Catalog.Get(layer.Digest) is not { } stored)
            {
                await Exchange.Problem(ctx, ProblemCode.ManifestInvalid, $"layer '{layer.Path}': blob {layer.Digest} is not stored; upload it first");
                return;
            }
            if (stored.Size != layer.Size)
            {
                await Exchange.Problem(ctx, ProblemCode.ManifestInvalid,
                    $"layer '{layer.Path}': size {layer.Size} does not match the stored blob's {stored.Size}");
                return;
            }
        }
        using var writer = s.Blobs.Chunks.OpenWriter();
        await writer.AppendAsync(body);
        var ingested = await writer.CompleteAsync(ChunkDigest.Parse(digestText));
        var result = await s.Blobs.Catalog.AddManifestAsync(caller.Actor, new BlobRecord
        {
            Digest = digestText,
            Size = body.Length,
            MediaType = BlobCatalog.ManifestMediaType,
            Recipe = Recipe.Encode(ingested!.Chunks),
            NewBytes = ingested.NewBytes,
        }, System.Text.Encoding.UTF8.GetString(body), layers);
        if (!result.IsOk)
        {
            await Exchange.Problem(ctx, ProblemCode.ManifestInvalid, result.Detail);
            return;
        }
        ctx.Response.Headers.Location = "/v1/manifests/" + digestText;
        ctx.Response.Headers["Docker-Content-Digest"] = digestText;
        await Exchange.Json(ctx, Info(result.Value with { NewBytes = ingested.NewBytes }), ServerJson.Web.BlobInfo, StatusCodes.Status201Created);
    }

    private async Task GetManifest(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null)
        {
            return;
        }
        var digest = Exchange.Route(ctx, "digest");
        if (s.Blobs.Catalog.GetManifest(digest) is not { } manifest)
        {
            await Exchange.Problem(ctx, ProblemCode.ManifestNotFound, $"manifest {digest} is not stored");
            return;
        }
        ctx.Response.ContentType = BlobCatalog.ManifestMediaType;
        ctx.Response.Headers.ETag = "\"" + digest + "\"";
        ctx.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        ctx.Response.Headers["Docker-Content-Digest"] = digest;
        await ctx.Response.WriteAsync(manifest.Body, ctx.RequestAborted);
    }

    private async Task<BlobRecord?> Blob(HttpContext ctx)
    {
        var digest = Exchange.Route(ctx, "digest");
        if (!Names.IsValidDigest(digest))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidDigest, $"'{digest}' is not sha256: followed by 64 lowercase hex digits");
            return null;
        }
        if (ctx.Items.TryGetValue(HeldRecordKey, out var held) && held is BlobRecord record && record.Digest == digest)
        {
            return record;
        }
        if (s.Blobs.Catalog.Get(digest) is { } blob)
        {
            return blob;
        }
        if (ctx.Request.Method == HttpMethods.Head)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return null;
        }
        await Exchange.Problem(ctx, ProblemCode.BlobNotFound, $"blob {digest} is not stored");
        return null;
    }

    private static async Task<ChunkDigest?> ExpectedDigest(HttpContext ctx)
    {
        var text = Exchange.Query(ctx, "digest");
        if (text is not null && Names.IsValidDigest(text))
        {
            return ChunkDigest.Parse(text);
        }
        await Exchange.Problem(ctx, ProblemCode.InvalidDigest,
            text is null ? "give the blob's digest as ?digest=sha256:<hex>" : $"'{text}' is not sha256: followed by 64 lowercase hex digits");
        return null;
    }

    /// <summary>The session of the route with its gate held (release it!), or null after writing a 404.</summary>
    private async Task<UploadSession?> Session(HttpContext ctx)
    {
        var session = s.Uploads.Get(Exchange.Route(ctx, "id"));
        if (session is not null)
        {
            await session.Gate.WaitAsync(ctx.RequestAborted);
            if (s.Uploads.Get(session.Id) is not null)
            {
                return session;
            }
            session.Gate.Release();
        }
        await Exchange.Problem(ctx, ProblemCode.UploadNotFound, "start a new upload with POST /v1/blobs/uploads");
        return null;
    }

    private static void SetProgressHeaders(HttpContext ctx, UploadSession session)
    {
        var offset = session.Offset;
        ctx.Response.Headers.Location = UploadsPath + session.Id;
        ctx.Response.Headers.Range = "0-" + Math.Max(0, offset - 1).ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["Upload-Offset"] = offset.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["Docker-Upload-UUID"] = session.Id;
    }

    /// <summary>Parses <c>start-end</c> (OCI) or <c>bytes start-end/total</c> (RFC 9110).</summary>
    internal static bool TryParseContentRange(string? value, out long start, out long end)
    {
        start = end = 0;
        if (value is null)
        {
            return false;
        }
        var v = value.Trim();
        if (v.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            v = v[6..].Trim();
        }
        var slash = v.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            v = v[..slash];
        }
        var dash = v.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && long.TryParse(v[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out start)
            && long.TryParse(v[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out end)
            && end >= start;
    }

    private static void UnlimitedBody(HttpContext ctx)
    {
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
    }

    internal static BlobInfo Info(BlobRecord r) => new(r.Digest, r.Size, r.MediaType, r.NewBytes, r.CreatedAt);
}
