using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Arca.EndToEnd.Tests;

/// <summary>
/// A real <c>arca serve</c> process over a data directory, on free loopback ports. <see cref="Kill"/> is SIGKILL:
/// no shutdown code runs, as in a crash.
/// </summary>
internal sealed class ArcaProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ArcaProcess(Process process, string dataDir, int controlPort, int dataPort)
    {
        _process = process;
        DataDir = dataDir;
        ControlUrl = "http://127.0.0.1:" + controlPort.ToString(CultureInfo.InvariantCulture);
        DataUrl = "http://127.0.0.1:" + dataPort.ToString(CultureInfo.InvariantCulture);
    }

    public string DataDir { get; }

    public string ControlUrl { get; }

    public string DataUrl { get; }

    /// <summary>What the process wrote to stdout and stderr so far (for failure messages).</summary>
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

    /// <summary>Starts the server and waits (bounded) until <c>/readyz</c> answers 200.</summary>
    public static async Task<ArcaProcess> StartAsync(string dataDir, params string[] extraArgs)
    {
        var (controlPort, dataPort) = (FreePort(), FreePort());
        var start = ArcaCommand.StartInfo(new[]
        {
            "serve", "--data-dir", dataDir,
            "--control-listen", $"127.0.0.1:{controlPort}", "--data-listen", $"127.0.0.1:{dataPort}", "--log-level", "warning",
        }.Concat(extraArgs));
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ARCA_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name); // the test's settings only, not the developer's
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var arca = new ArcaProcess(process, dataDir, controlPort, dataPort);
        process.OutputDataReceived += (_, e) => arca.Append(e.Data);
        process.ErrorDataReceived += (_, e) => arca.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await arca.WaitReadyAsync();
        }
        catch
        {
            await arca.DisposeAsync();
            throw;
        }
        return arca;
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
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            Assert.False(_process.HasExited, $"arca exited with {(_process.HasExited ? _process.ExitCode : 0)} while starting:\n{Output}");
            try
            {
                using var response = await probe.GetAsync(ControlUrl + "/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
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
                // Slow first answer; try again.
            }
            await Task.Delay(100);
        }
        Assert.Fail($"arca did not become ready within {StartTimeout}:\n{Output}");
    }

    /// <summary>A client with the bootstrap admin token the first start wrote.</summary>
    public HttpClient AdminClient()
    {
        var token = File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = new Uri(ControlUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL, then wait (bounded) until the process is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(15)), "arca did not die after SIGKILL");
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
