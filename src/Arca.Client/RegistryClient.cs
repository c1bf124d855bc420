using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arca.Client.Transfer;

namespace Arca.Client;

/// <summary>A thin client of the control-plane API: bearer auth, JSON in and out, problem+json decoded.</summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _http;

    public RegistryClient(string baseUrl, string? token, HttpMessageHandler? handler = null)
    {
        _http = handler is null
            ? new HttpClient(new RedirectHandler(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 64,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
                AllowAutoRedirect = false,
            }))
            : new HttpClient(handler);
        _http.BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/");
        _http.Timeout = Timeout.InfiniteTimeSpan; // transfers of hundreds of GB; calls bound themselves with tokens
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The underlying client (bearer auth set) for streaming uploads and downloads.</summary>
    public HttpClient Http => _http;

    /// <summary>Sends a request; throws <see cref="HttpRequestException"/> only when the registry cannot be reached.</summary>
    public async Task<RegistryResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null,
        IReadOnlyDictionary<string, string>? headers = null, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(100));
        ct = timeout.Token;
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        JsonElement? json = null;
        if (bytes.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(bytes);
                json = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                json = null;
            }
        }
        string? code = null, detail = null;
        if ((int)response.StatusCode >= 400 && json is { ValueKind: JsonValueKind.Object } problem)
        {
            code = problem.TryGetProperty("code", out var c) ? c.GetString() : null;
            detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        return new RegistryResponse((int)response.StatusCode, json, code, detail);
    }

    public void Dispose() => _http.Dispose();
}
