using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arca.Server.Tests;

/// <summary>Requests and assertions shared by the API tests.</summary>
public static class TestHttp
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, Json(json));

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json) =>
        client.PutAsync(path, Json(json));

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, string json) =>
        client.PatchAsync(path, Json(json));

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null,
        Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = Json(json);
        }
        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body (default when empty).</summary>
    public static async Task<JsonElement> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status} {status}, " +
            $"got {(int)response.StatusCode} {response.StatusCode}: {text}");
        return text.Length == 0 ? default : Parse(text);
    }

    /// <summary>Asserts an RFC 9457 problem: status, <c>application/problem+json</c>, the stable <c>code</c>.</summary>
    public static async Task<JsonElement> ExpectProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, body.Str("code"));
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.Str("title")));
        return body;
    }

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public static string Str(this JsonElement e, string property) => e.GetProperty(property).GetString()!;

    public static long Long(this JsonElement e, string property) => e.GetProperty(property).GetInt64();

    public static bool Has(this JsonElement e, string property) => e.TryGetProperty(property, out _);

    /// <summary>The <c>version</c> numbers of a <c>{"versions": [...]}</c> listing, in order.</summary>
    public static long[] VersionNumbers(this JsonElement list) =>
        [.. list.GetProperty("versions").EnumerateArray().Select(v => v.Long("version"))];

    /// <summary>A valid, distinct artifact digest per seed.</summary>
    public static string Digest(string seed) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>The raw value of a response header as the server sent it.</summary>
    public static string? RawHeader(this HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    public static async Task<JsonElement> CreateModelAsync(this HttpClient client, string name, string extra = "")
    {
        using var response = await client.PostJsonAsync("/v1/models", $$"""{"name":"{{name}}"{{extra}}}""");
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    /// <summary>Registers a version; <paramref name="extra"/> adds fields, e.g. <c>,"metrics":{"f1":0.5}</c>.</summary>
    public static Task<HttpResponseMessage> PostVersionAsync(this HttpClient client, string model, string digest, string extra = "") =>
        client.PostJsonAsync($"/v1/models/{model}/versions", $$"""{"artifact_digest":"{{digest}}"{{extra}}}""");

    public static async Task<JsonElement> RegisterAsync(this HttpClient client, string model, string digest, string extra = "")
    {
        using var response = await client.PostVersionAsync(model, digest, extra);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> PutAliasAsync(this HttpClient client, string model, string alias, long version,
        string reason = "", string? ifMatch = null) =>
        client.SendAsync(HttpMethod.Put, $"/v1/models/{model}/aliases/{alias}",
            $$"""{"version":{{version}},"reason":"{{reason}}"}""",
            r =>
            {
                if (ifMatch is not null)
                {
                    r.Headers.TryAddWithoutValidation("If-Match", ifMatch);
                }
            });

    public static async Task<JsonElement> MoveAliasAsync(this HttpClient client, string model, string alias, long version,
        string reason = "", string? ifMatch = null)
    {
        using var response = await client.PutAliasAsync(model, alias, version, reason, ifMatch);
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await response.ExpectAsync(HttpStatusCode.OK);
    }
}
