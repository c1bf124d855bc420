using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>
/// A real <c>arca serve</c> child process (origin, seeder or edge) over its own data dir on loopback ports chosen up
/// front, so it can be killed (SIGKILL, as in a crash) and started again on the same ports and data dir. Disposing
/// kills it and removes the data dir.
/// </summary>
internal sealed class ArcaProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<string> _arguments;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private ArcaProcess(string name, string mode, string dataDir, int controlPort, int dataPort, IReadOnlyList<string> arguments)
    {
        Name = name;
        Mode = mode;
        DataDir = dataDir;
        ControlPort = controlPort;
        DataPort = dataPort;
        _arguments = arguments;
    }

    /// <summary>What the test calls it in failure messages ("origin", "seeder", "edge").</summary>
    public string Name { get; }

    public string Mode { get; }

    public string DataDir { get; }

    public int ControlPort { get; }

    public int DataPort { get; }

    public string ControlUrl => Loopback(ControlPort);

    public string DataUrl => Loopback(DataPort);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What every run of this server wrote so far, to stdout and stderr (for failure messages).</summary>
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

    /// <summary>The admin token an origin writes to <c>&lt;data-dir&gt;/admin.token</c> on its first start.</summary>
    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    /// <summary>
    /// Starts <c>arca serve --mode MODE</c> and waits until it answers. <paramref name="settings"/> become
    /// <c>--set key=value</c>; a seeder or edge also gets <c>--upstream</c> and the upstream token.
    /// </summary>
    public static async Task<ArcaProcess> StartAsync(string name, string mode, string? upstream = null, string? upstreamToken = null,
        IReadOnlyDictionary<string, string>? settings = null, (int Control, int Data)? ports = null)
    {
        var dataDir = TempDir.Create(name);
        if (ports is null)
        {
            var free = FreePorts(2);
            ports = (free[0], free[1]);
        }
        var (control, data) = ports.Value;
        var args = new List<string>
        {
            ArcaCommand.Dll, "serve", "--mode", mode, "--data-dir", dataDir,
            "--control-listen", "127.0.0.1:" + control.ToString(CultureInfo.InvariantCulture),
            "--data-listen", "127.0.0.1:" + data.ToString(CultureInfo.InvariantCulture), "--log-level", "warning",
        };
        if (upstream is not null)
        {
            args.AddRange(["--upstream", upstream, "--set", "tier.upstream_token=" + upstreamToken]);
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.AddRange(["--set", key + "=" + value]);
        }
        var server = new ArcaProcess(name, mode, dataDir, control, data, args);
        try
        {
            await server.RunAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts the same server again (same arguments, ports and data dir) after <see cref="Kill"/>.</summary>
    public async Task RestartAsync()
    {
        Assert.False(IsRunning, $"{Name} is still running");
        Append($"--- {Name} restarted ---");
        await RunAsync();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash. The data dir stays.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(15)), $"{Name} did not exit after SIGKILL");
        }
    }

    private async Task RunAsync()
    {
        Assert.True(File.Exists(ArcaCommand.Dll), $"{ArcaCommand.Dll} is missing; the ProjectReference to src/Arca should copy it");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in _arguments)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ARCA_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name); // the test's settings only, not the developer's
        }
        _process?.Dispose();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitReadyAsync(process);
    }

    /// <summary>
    /// An origin is ready when <c>/readyz</c> answers and the admin token is written; a tier when <c>/healthz</c>
    /// answers (its readiness may depend on the upstream). Either way the data plane must accept connections too.
    /// </summary>
    private async Task WaitReadyAsync(Process process)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var path = Mode == "origin" ? "/readyz" : "/healthz";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                process.WaitForExit(); // drains the redirected output
                Assert.Fail($"{Name} (arca serve --mode {Mode}) exited with {process.ExitCode} while starting:\n{Output}");
            }
            try
            {
                using var response = await probe.GetAsync(ControlUrl + path);
                if (response.StatusCode == HttpStatusCode.OK
                    && (Mode != "origin" || File.Exists(Path.Combine(DataDir, "admin.token")))
                    && await AcceptsAsync(DataPort))
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
        Assert.Fail($"{Name} (arca serve --mode {Mode}) was not ready within {StartTimeout}:\n{Output}");
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
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

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process?.Dispose();
            TempDir.Delete(DataDir);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// <paramref name="count"/> distinct free loopback ports: all held open until all are chosen, so the kernel cannot
    /// hand out one of them twice (a listener of this process, such as a relay, holds its own port already).
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string Loopback(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
}
