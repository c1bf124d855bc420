using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>What one GET of a data-plane URL delivered: status, body length and the body's sha256.</summary>
internal sealed record BlobDownload(HttpStatusCode Status, long Length, string Sha256, string? Error)
{
    /// <summary>One client of the data plane (presigned URLs need no token), with no limit on connections.</summary>
    public static HttpClient NewClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(180),
    };

    /// <summary>
    /// GETs <paramref name="url"/> (optionally one range), hashing the body as it streams in;
    /// <paramref name="progress"/> sees the byte count after every read. A transport failure is a value (its message
    /// in <see cref="Error"/>), so concurrent downloads all report.
    /// </summary>
    public static async Task<BlobDownload> GetAsync(HttpClient http, string url, (long From, long To)? range = null,
        Func<long, Task>? progress = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (range is { } r)
        {
            request.Headers.Range = new RangeHeaderValue(r.From, r.To);
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 << 10];
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                length += n;
                if (progress is not null)
                {
                    await progress(length);
                }
            }
            return new BlobDownload(response.StatusCode, length, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new BlobDownload(0, length, "", $"{e.GetType().Name}: {e.Message} after {length} bytes");
        }
    }

    /// <summary>True when this is exactly <paramref name="expected"/> (200 for the whole, 206 for a range).</summary>
    public bool Matches(ReadOnlySpan<byte> expected, bool partial = false) =>
        Error is null && Status == (partial ? HttpStatusCode.PartialContent : HttpStatusCode.OK)
        && Length == expected.Length && Sha256 == PublishedVersion.Sha256(expected);
}
