using System.Diagnostics;
using System.Text;

namespace Arca.DataPlane.Tests.Support;

/// <summary>Runs the real curl (/usr/bin/curl) with <c>-s -D -</c> and splits its output into head and body.</summary>
public static class Curl
{
    public static async Task<RawResponse> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/curl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-s", "-S", "--max-time", "30", "-D", "-" }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        using var output = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(output);
        await process.WaitForExitAsync();
        var bytes = output.ToArray();
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (process.ExitCode != 0 || end < 0)
        {
            throw new InvalidOperationException($"curl {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        }
        return RawResponse.ParseHead(Encoding.Latin1.GetString(bytes, 0, end), bytes[(end + 4)..]);
    }
}
