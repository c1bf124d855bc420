using System.Globalization;
using Arca.Metadata;
using Arca.Server.Api;
using Arca.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arca.Server.Endpoints;

/// <summary><c>GET /v1/artifacts/{digest}/download?ttl=</c>: presigned data-plane URLs for every layer of an artifact.</summary>
internal sealed class ArtifactEndpoints(ArcaServices s, Access access)
{
    public void Map(IEndpointRouteBuilder app) => app.MapGet("/v1/artifacts/{digest}/download", Download);

    private async Task Download(HttpContext ctx)
    {
        if (await access.RequireAsync(ctx, Roles.Read, null) is null
            || await Exchange.QueryIntAsync(ctx, "ttl", 600, 1, s.Options.PresignMaxTtlSeconds) is not { } ttlSeconds)
        {
            return;
        }
        var digest = Exchange.Route(ctx, "digest");
        if (!Names.IsValidDigest(digest))
        {
            await Exchange.Problem(ctx, ProblemCode.InvalidDigest, $"'{digest}' is not sha256: followed by 64 lowercase hex digits");
            return;
        }
        if (s.BlobCatalog.GetManifest(digest) is not { } manifest)
        {
            await Exchange.Problem(ctx, ProblemCode.ManifestNotFound, $"artifact {digest} is not stored");
            return;
        }
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        var manifestUrl = s.Links.BlobUrl(ctx, digest, ttl, out var expires);
        var layers = manifest.Layers
            .Select(l => new DownloadLayer(l.Path, l.Digest, l.Size, l.MediaType, s.Links.BlobUrl(ctx, l.Digest, ttl, out _)))
            .ToList();
        ctx.Response.Headers.CacheControl = "private, max-age=" + (ttlSeconds / 2).ToString(CultureInfo.InvariantCulture);
        await Exchange.Json(ctx, new ArtifactDownload(digest, expires, manifestUrl, layers.Sum(l => l.Size), layers),
            ServerJson.Web.ArtifactDownload);
    }
}
