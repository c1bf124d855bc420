using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Arca.Storage;

namespace Arca.Server.Tier;

/// <summary>A tier's HTTP link to the tier above: metadata on its control plane, chunks from its data plane.</summary>
public sealed class Upstream : IDisposable
{
    /// <summary>No byte from a chunk fetch for this long: that connection is stalled; abandon it and retry.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private const int MaxChunkBytes = 64 << 20;

    private readonly HttpClient _http;
    private readonly string _token;
    private readonly string _configuredDataUrl;
    private string? _dataUrl;

    public Upstream(string controlUrl, string token, string dataUrl)
    {
        ControlUrl = controlUrl.TrimEnd('/');
        _token = token;
        _configuredDataUrl = dataUrl.TrimEnd('/');
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string ControlUrl { get; }

    /// <summary>
    /// GET on the upstream's control plane with this tier's token (or <paramref name="authorization"/>, a client's own
    /// header, for pass-through). Throws <see cref="UpstreamException"/> when it cannot be reached or answers 5xx.
    /// </summary>
    public async Task<UpstreamResponse> GetAsync(string pathAndQuery, CancellationToken ct, string? authorization = null,
        bool noCache = false, TimeSpan? timeout = null, IEnumerable<KeyValuePair<string, string>>? extraHeaders = null)
    {
        using var request = Get(ControlUrl + pathAndQuery, authorization);
        foreach (var (name, value) in extraHeaders ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (noCache)
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? MetadataTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(limit.Token).ConfigureAwait(false);
            if ((int)response.StatusCode >= 500)
            {
                throw new UpstreamException($"{ControlUrl}{pathAndQuery}: {(int)response.StatusCode}");
            }
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var h in response.Headers.Concat(response.Content.Headers))
            {
                if (h.Key is "ETag" or "Cache-Control" or "Content-Type" or "Location" or "Docker-Content-Digest" or "X-Arca-Last-Seq"
                    or "WWW-Authenticate" or "Content-Range" or "Accept-Ranges")
                {
                    headers.Add(new(h.Key, string.Join(", ", h.Value)));
                }
            }
            return new UpstreamResponse((int)response.StatusCode, body, headers);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"{ControlUrl} is unreachable: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamException($"{ControlUrl}{pathAndQuery} did not answer in time", e);
        }
    }

    /// <summary>
    /// Pass-through of a client's read: forwards its credentials and content-negotiation headers and returns the
    /// upstream response with its body unread (the caller streams it; server-sent events never end).
    /// </summary>
    public async Task<HttpResponseMessage> ForwardAsync(string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers,
        CancellationToken ct)
    {
        var forwarded = headers.ToList();
        using var request = Get(ControlUrl + pathAndQuery, forwarded.FirstOrDefault(h => h.Key == "Authorization").Value);
        foreach (var (name, value) in forwarded.Where(h => h.Key != "Authorization"))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"{ControlUrl} is unreachable: {e.Message}", e);
        }
    }

    /// <summary>The upstream's data-plane base URL if known yet: configured, or learnt from its <c>/healthz</c>.</summary>
    public string? KnownDataUrl => _configuredDataUrl.Length > 0 ? _configuredDataUrl : Volatile.Read(ref _dataUrl);

    /// <summary>The upstream's data-plane base URL: configured, or what its <c>/healthz</c> reports.</summary>
    public async Task<string> DataUrlAsync(CancellationToken ct)
    {
        if (_configuredDataUrl.Length > 0)
        {
            return _configuredDataUrl;
        }
        if (Volatile.Read(ref _dataUrl) is { } known)
        {
            return known;
        }
        var health = await GetAsync("/healthz", ct).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(health.Body);
        if (health.Status != 200 || !doc.RootElement.TryGetProperty("data_url", out var url) || url.GetString() is not { Length: > 0 } text)
        {
            throw new UpstreamException($"{ControlUrl}/healthz does not report a data_url; set tier.upstream_data_url");
        }
        Volatile.Write(ref _dataUrl, text.TrimEnd('/'));
        return text.TrimEnd('/');
    }

    /// <summary>
    /// Fetches one chunk's bytes from the upstream data plane into a pooled buffer (return it with
    /// <see cref="ArrayPool{T}.Return"/>). <paramref name="repair"/> asks the upstream to re-verify its copy first.
    /// The caller verifies the digest. A connection that stalls for <see cref="StallTimeout"/> is abandoned.
    /// </summary>
    public async Task<(byte[] Buffer, int Length)> FetchChunkAsync(ChunkDigest digest, bool repair, CancellationToken ct)
    {
        var url = await DataUrlAsync(ct).ConfigureAwait(false) + "/chunks/sha256/" + digest.Hex
            + (repair ? "?repair=1" : "");
        using var request = Get(url);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(StallTimeout);
        byte[]? buffer = null;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new UpstreamException($"{url}: {(int)response.StatusCode}", notFound: response.StatusCode == HttpStatusCode.NotFound);
            }
            var length = response.Content.Headers.ContentLength ?? -1;
            if (length is < 0 or > MaxChunkBytes)
            {
                throw new UpstreamException($"{url}: unusable Content-Length {length}");
            }
            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, length));
            await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            var read = 0;
            while (read < length)
            {
                var n = await body.ReadAsync(buffer.AsMemory(read, (int)length - read), stall.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new UpstreamException($"{url}: the body ended after {read} of {length} bytes");
                }
                read += n;
                stall.CancelAfter(StallTimeout);
            }
            var result = (buffer, read);
            buffer = null;
            return result;
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"{url}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new UpstreamException($"{url}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamException($"{url}: stalled for {StallTimeout.TotalSeconds:0} s", e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Opens a ranged read of a blob on the upstream data plane (bytes <paramref name="first"/>..<paramref name="last"/>,
    /// inclusive) and hands back the body stream: the caller reads the chunks in order as they arrive (the upstream
    /// streams a blob it is itself still filling). Dispose the returned response.
    /// </summary>
    public async Task<(HttpResponseMessage Response, Stream Body)> OpenRangeAsync(string blobDigest, long first, long last, CancellationToken ct)
    {
        var url = await DataUrlAsync(ct).ConfigureAwait(false) + "/blobs/sha256/" + blobDigest["sha256:".Length..];
        using var request = Get(url);
        request.Headers.Range = new RangeHeaderValue(first, last);
        HttpResponseMessage? response = null;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentLength != last - first + 1)
            {
                throw new UpstreamException($"{url} bytes {first}-{last}: {(int)response.StatusCode}",
                    notFound: response.StatusCode == HttpStatusCode.NotFound);
            }
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var result = (response, body);
            response = null;
            return result;
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"{url}: {e.Message}", e);
        }
        finally
        {
            response?.Dispose();
        }
    }

    /// <summary>A GET with <paramref name="authorization"/> (a client's own header) or else this tier's token.</summary>
    private HttpRequestMessage Get(string url, string? authorization = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        else if (_token.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        return request;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An upstream answer below 500: status, body and the headers a tier passes on.</summary>
public sealed record UpstreamResponse(int Status, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string? Header(string name)
    {
        foreach (var (k, v) in Headers)
        {
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }
        return null;
    }
}
