using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arca.Configuration;
using Arca.Server;

namespace Arca.Cli.Tests;

/// <summary>
/// A real control plane on <c>127.0.0.1:0</c> over a fresh temp data dir, an admin HTTP client to seed it, and
/// <see cref="ArcaAsync"/> to run the real <c>arca</c> executable against it as a child process.
/// </summary>
public sealed class Registry : IAsyncLifetime
{

    private ControlPlane _plane = null!;
    private string _dataDir = "";

    public string Url => _plane.ControlUrl;

    public string AdminToken { get; private set; } = "";

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _dataDir = Path.Combine(Path.GetTempPath(), "arca-cli-tests", Guid.NewGuid().ToString("N"));
        _plane = await ControlPlane.StartAsync(new ArcaOptions
        {
            DataDir = _dataDir,
            ControlListen = "127.0.0.1:0",
            DataListen = "127.0.0.1:0",
        }, logging: b => { });
        // Versions may name any well-formed digest: these tests are about the catalog, not stored bytes.
        _plane.Services.Versions.ArtifactExists = null;
        AdminToken = (await File.ReadAllTextAsync(Path.Combine(_dataDir, "admin.token"))).Trim();
        Admin = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await _plane.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind is harmless.
        }
    }

    /// <summary>Runs <c>arca ARGS</c> with <c>ARCA_URL</c>/<c>ARCA_TOKEN</c> of this registry (or the given ones).</summary>
    public Task<CliResult> ArcaAsync(params string[] args) => ArcaWithAsync(Url, AdminToken, args);

    public async Task<CliResult> ArcaWithAsync(string url, string? token, params string[] args)
    {
        using var process = Start(url, token, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"arca {string.Join(' ', args)} did not finish");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>arca ARGS</c> with redirected output, for commands that keep running.</summary>
    public Process Start(string url, string? token, params string[] args)
    {
        var info = ArcaCommand.StartInfo(args);
        info.Environment["ARCA_URL"] = url;
        if (token is null)
        {
            info.Environment.Remove("ARCA_TOKEN");
        }
        else
        {
            info.Environment["ARCA_TOKEN"] = token;
        }
        // Keep the developer's own client config and admin token file out of the picture.
        info.Environment["ARCA_CLIENT_CONFIG"] = Path.Combine(_dataDir, "no-client.toml");
        info.Environment["XDG_DATA_HOME"] = Path.Combine(_dataDir, "no-xdg");
        return Process.Start(info)!;
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return Json.Parse(text);
    }

    /// <summary>Registers a version with a digest made from <paramref name="seed"/>; returns its number.</summary>
    public async Task<long> RegisterAsync(string model, string seed, string? metrics = null, string? parameters = null,
        string? tags = null, string? runId = null, string framework = "pytorch")
    {
        var body = new JsonObject
        {
            ["artifact_digest"] = Digest(seed),
            ["framework"] = framework,
            ["metrics"] = JsonNode.Parse(metrics ?? "{}"),
            ["params"] = JsonNode.Parse(parameters ?? "{}"),
            ["tags"] = JsonNode.Parse(tags ?? "{}"),
        };
        if (runId is not null)
        {
            body["run_id"] = runId;
        }
        var version = await SendAsync(HttpMethod.Post, $"/v1/models/{model}/versions", body);
        return version.GetProperty("version").GetInt64();
    }

    /// <summary>Stores each file as a blob and a manifest listing them; returns the manifest (artifact) digest.</summary>
    public async Task<string> PutArtifactAsync(params (string Path, byte[] Bytes)[] files)
    {
        var layers = new JsonArray();
        foreach (var (path, bytes) in files)
        {
            var digest = Digest(bytes);
            using var blob = await Admin.PutAsync("/v1/blobs?digest=" + digest, new ByteArrayContent(bytes));
            Assert.True(blob.IsSuccessStatusCode, $"PUT blob {path}: {(int)blob.StatusCode} {await blob.Content.ReadAsStringAsync()}");
            layers.Add(new JsonObject { ["digest"] = digest, ["path"] = path, ["size"] = bytes.Length });
        }
        var manifest = Encoding.UTF8.GetBytes(new JsonObject { ["layers"] = layers }.ToJsonString());
        var manifestDigest = Digest(manifest);
        using var put = await Admin.PutAsync("/v1/manifests/" + manifestDigest, new ByteArrayContent(manifest));
        Assert.True(put.IsSuccessStatusCode, $"PUT manifest: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return manifestDigest;
    }

    public async Task<JsonElement> PromoteAsync(string model, string alias, long version) =>
        await SendAsync(HttpMethod.Put, $"/v1/models/{model}/aliases/{alias}", new JsonObject { ["version"] = version });

    public async Task<string> CreateTokenAsync(string role)
    {
        var created = await SendAsync(HttpMethod.Post, "/v1/tokens",
            new JsonObject { ["name"] = "cli-" + role, ["roles"] = new JsonArray(role), ["models"] = "*" });
        return created.GetProperty("token").GetString()!;
    }

    public static string Digest(string seed) => Digest(Encoding.UTF8.GetBytes(seed));

    public static string Digest(byte[] bytes) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
