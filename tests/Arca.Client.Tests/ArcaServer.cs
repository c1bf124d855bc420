using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arca.Client.Tests;

/// <summary>
/// A real <c>arca serve</c> child process over a fresh temp data dir on free loopback ports, with an admin client to
/// drive the API. Disposing kills it and removes the data dir.
/// </summary>
public sealed class ArcaServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ArcaServer(Process process, string dataDir, int controlPort, int dataPort)
    {
        _process = process;
        DataDir = dataDir;
        ControlUrl = "http://127.0.0.1:" + controlPort.ToString(CultureInfo.InvariantCulture);
        DataPort = dataPort;
    }

    public string DataDir { get; }

    public string ControlUrl { get; }

    public int DataPort { get; }

    public string AdminToken { get; private set; } = "";

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server; <paramref name="dataPublicUrl"/> makes presigned URLs point there (a test proxy).</summary>
    public static async Task<ArcaServer> StartAsync(string? dataPublicUrl = null)
    {
        var dataDir = TempDir.Create("server");
        var (controlPort, dataPort) = (FreePort(), FreePort());
        var args = new List<string>
        {
            ArcaCommand.Dll, "serve", "--data-dir", dataDir,
            "--control-listen", $"127.0.0.1:{controlPort}", "--data-listen", $"127.0.0.1:{dataPort}", "--log-level", "warning",
        };
        if (dataPublicUrl is not null)
        {
            args.AddRange(["--set", "server.data_public_url=" + dataPublicUrl]);
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ARCA_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var server = new ArcaServer(process, dataDir, controlPort, dataPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync();
            server.AdminToken = (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin.token"))).Trim();
            server.Admin = new HttpClient { BaseAddress = new Uri(server.ControlUrl), Timeout = TimeSpan.FromSeconds(60) };
            server.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitReadyAsync()
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            Assert.False(_process.HasExited, $"arca serve exited while starting:\n{Output}");
            try
            {
                using var response = await probe.GetAsync(ControlUrl + "/readyz");
                if (response.StatusCode == HttpStatusCode.OK && File.Exists(Path.Combine(DataDir, "admin.token")))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A slow first answer on a busy machine.
            }
            await Task.Delay(100);
        }
        Assert.Fail($"arca serve was not ready within {StartTimeout}:\n{Output}");
    }

    /// <summary>An API call as admin that must succeed; returns the JSON body (or an empty object).</summary>
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
        return Json.Parse(text.Length == 0 ? "{}" : text);
    }

    public Task<JsonElement> PromoteAsync(string model, string alias, long version) =>
        SendAsync(HttpMethod.Put, $"/v1/models/{model}/aliases/{alias}", new JsonObject { ["version"] = version, ["reason"] = "test" });

    /// <summary>How many bytes an open upload session has received (<c>Upload-Offset</c>), or null when it is gone.</summary>
    public async Task<long?> UploadOffsetAsync(string location)
    {
        using var response = await Admin.GetAsync(location);
        return response.StatusCode == HttpStatusCode.NoContent && response.Headers.TryGetValues("Upload-Offset", out var values)
            ? long.Parse(values.First(), CultureInfo.InvariantCulture)
            : null;
    }

    public ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit(TimeSpan.FromSeconds(15));
        }
        finally
        {
            _process.Dispose();
            TempDir.Delete(DataDir);
        }
        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
