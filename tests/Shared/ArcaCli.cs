using System.Diagnostics;
using System.Text.Json;

namespace Arca.Tests.Shared;

/// <summary>What one run of <c>arca</c> printed and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The last stdout line as JSON (what <c>--json</c> prints).</summary>
    public JsonElement Json => global::Arca.Tests.Shared.Json.Parse(Stdout.Trim().Split('\n')[^1]);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the real <c>arca</c> executable (<c>dotnet arca.dll</c>) against a registry as one client machine: its own
/// <c>XDG_CACHE_HOME</c> (digest cache and upload sessions), no developer config.
/// </summary>
public sealed class ArcaCli(string url, string token) : IDisposable
{
    private readonly string _home = TempDir.Create("client");

    public string Url { get; set; } = url;

    /// <summary>More environment variables for every command this client runs.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary><c>$XDG_CACHE_HOME/arca</c> of this client.</summary>
    public string CacheDir => Path.Combine(_home, "cache", "arca");

    public async Task<CliResult> RunAsync(params string[] args) => await RunAsync(TimeSpan.FromSeconds(90), args);

    public async Task<CliResult> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"arca {string.Join(' ', args)} did not finish within {timeout}:\n{await stderr}");
        }
        // Bounded too: the output ends with the process unless something inherited its pipes.
        var output = await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(15));
        return new CliResult(process.ExitCode, output[0], output[1]);
    }

    /// <summary>Starts <c>arca ARGS</c> with redirected output (the caller reads it and disposes the process).</summary>
    public Process Start(params string[] args)
    {
        var info = ArcaCommand.StartInfo(args);
        info.Environment["ARCA_URL"] = Url;
        info.Environment["ARCA_TOKEN"] = token;
        info.Environment["XDG_CACHE_HOME"] = Path.Combine(_home, "cache");
        info.Environment["ARCA_CLIENT_CONFIG"] = Path.Combine(_home, "no-client.toml");
        info.Environment["XDG_DATA_HOME"] = Path.Combine(_home, "data");
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    public void Dispose() => TempDir.Delete(_home);
}
