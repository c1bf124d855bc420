using Arca.Configuration;
using Arca.DataPlane;
using Microsoft.AspNetCore.Http;

namespace Arca.Server.Blobs;

/// <summary>Presigned, expiring data-plane URLs for blobs: the control plane hands them out and never serves bytes.</summary>
public sealed class DataPlaneLinks(UrlSigner signer, ArcaOptions options)
{
    /// <summary>The data plane's port, known once its listener has bound.</summary>
    public int DataPort { get; set; }

    public string BlobUrl(HttpContext ctx, string digest, TimeSpan ttl, out DateTimeOffset expires) =>
        BaseUrl(ctx) + signer.Sign("/blobs/sha256/" + digest["sha256:".Length..], ttl, out expires);

    /// <summary><c>server.data_public_url</c>, else the host the client reached the control plane on, with the data port.</summary>
    public string BaseUrl(HttpContext ctx)
    {
        if (options.DataPublicUrl.Length > 0)
        {
            return options.DataPublicUrl.TrimEnd('/');
        }
        var host = ctx.Request.Host.Host;
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }
        return $"http://{host}:{DataPort}";
    }
}
