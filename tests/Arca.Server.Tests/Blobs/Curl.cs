using System.Diagnostics;
using System.Globalization;

namespace Arca.Server.Tests.Blobs;

/// <summary>Runs the real <c>/usr/bin/curl</c> against the data plane and returns what it received.</summary>
internal static class Curl
{
    public sealed record Result(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

        public long? ContentLength => Header("Content-Length") is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;
    }

    /// <summary><c>curl -s -D headers -o body [args] url</c>; the last response's status and headers are returned.</summary>
    public static async Task<Result> GetAsync(string url, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("arca-curl-");
        try
        {
            var headers = Path.Combine(dir.FullName, "headers");
            var body = Path.Combine(dir.FullName, "body");
            var start = new ProcessStartInfo("/usr/bin/curl")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in (string[])["-s", "-S", "--max-time", "30", "-D", headers, "-o", body, .. args, url])
            {
                start.ArgumentList.Add(a);
            }
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"curl {string.Join(' ', args)} {url} exited with {process.ExitCode}: {await stderr}");
            var (status, parsed) = ParseHeaders(await File.ReadAllLinesAsync(headers));
            return new Result(status, parsed, File.Exists(body) ? await File.ReadAllBytesAsync(body) : []);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (int Status, Dictionary<string, string> Headers) ParseHeaders(string[] lines)
    {
        var status = 0;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines)
        {
            if (line.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                status = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                headers.Clear(); // a redirect or 100 Continue came first: keep the last response's headers
            }
            else if (line.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return (status, headers);
    }
}
