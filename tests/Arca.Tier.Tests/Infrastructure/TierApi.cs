using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>The control-plane API of one server of the tree, called with the origin's admin token.</summary>
internal sealed class TierApi : IDisposable
{
    private readonly ArcaProcess _server;
    private readonly HttpClient _http;

    public TierApi(ArcaProcess server, string token)
    {
        _server = server;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(server.ControlUrl),
            Timeout = TimeSpan.FromSeconds(120),
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public ArcaProcess Server => _server;

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null, CancellationToken ct = default) =>
        SendAsync(method, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            return await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            // Most likely the server died: say so, with what it printed.
            throw new HttpRequestException($"{_server.Name}: {method} {path}: {e.Message} (process running: {_server.IsRunning})\n"
                + $"--- {_server.Name} output ---\n{_server.Output}", e);
        }
    }

    /// <summary>A call that must succeed; returns the JSON body (or an empty object).</summary>
    public Task<JsonElement> CallAsync(HttpMethod method, string path, JsonNode? body = null) =>
        CallAsync(method, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    /// <summary>A call that must succeed; returns the JSON body (or an empty object).</summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string path, HttpContent? content)
    {
        using var response = await SendAsync(method, path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode,
            $"{_server.Name}: {method} {path}: {(int)response.StatusCode} {text}\n--- {_server.Name} output ---\n{_server.Output}");
        return Json.Parse(text.Length == 0 ? "{}" : text);
    }

    public Task<JsonElement> GetAsync(string path) => CallAsync(HttpMethod.Get, path);

    public async Task<TierStatus> StatusAsync(string? model = null, long? version = null)
    {
        var query = model is null ? "" : $"?model={model}&version={version?.ToString(CultureInfo.InvariantCulture)}";
        return new TierStatus(_server.Name, await GetAsync("/v1/tier/status" + query));
    }

    /// <summary>The artifact's presigned download URLs (layer path → url) as this server hands them out.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DownloadUrlsAsync(string artifactDigest)
    {
        var download = await GetAsync($"/v1/artifacts/{artifactDigest}/download?ttl=3600");
        return download.GetProperty("layers").EnumerateArray()
            .ToDictionary(l => l.GetProperty("path").GetString()!, l => l.GetProperty("url").GetString()!);
    }

    /// <summary>The blob's chunks (offset, length) in order, from <c>GET /v1/blobs/{digest}/recipe</c>.</summary>
    public async Task<IReadOnlyList<(string Digest, long Offset, int Length)>> RecipeAsync(string blobDigest)
    {
        var recipe = await GetAsync($"/v1/blobs/{blobDigest}/recipe");
        return recipe.GetProperty("chunks").EnumerateArray()
            .Select(c => (c.GetProperty("digest").GetString()!, c.GetProperty("offset").GetInt64(), c.GetProperty("length").GetInt32()))
            .ToList();
    }

    /// <summary>Asks a tier to fetch a version's artifact in the background (<c>POST /v1/prewarm</c>, 202).</summary>
    public async Task PrewarmAsync(string model, long version)
    {
        using var response = await SendAsync(HttpMethod.Post, "/v1/prewarm", new JsonObject { ["model"] = model, ["version"] = version });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 202,
            $"{_server.Name}: POST /v1/prewarm {model}:{version}: {(int)response.StatusCode} {text}\n{_server.Output}");
    }

    /// <summary>Waits (bounded) until this tier reports the version warm.</summary>
    public async Task WaitWarmAsync(string model, long version, TimeSpan timeout)
    {
        TierStatus? last = null;
        await Eventually.WaitAsync(async () =>
        {
            last = await StatusAsync(model, version);
            return last.Version(model, version) is { } v && v.GetProperty("warm").GetBoolean();
        }, timeout, () => $"{_server.Name} never reported {model}:{version} warm; last status: {last}\n{_server.Output}");
    }

    public void Dispose() => _http.Dispose();
}
