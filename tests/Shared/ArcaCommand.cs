using System.Diagnostics;
using System.Text;

namespace Arca.Tests.Shared;

/// <summary>How the tests start the <c>arca</c> command line: <c>dotnet arca.dll ARGS</c> with redirected UTF-8 output.</summary>
internal static class ArcaCommand
{
    /// <summary>The CLI, copied next to the test assembly by the ProjectReference to src/Arca.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "arca.dll");

    /// <summary>The start info for <c>arca ARGS</c>; the caller adds its environment and starts it.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is missing; the ProjectReference to src/Arca should copy it");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return info;
    }
}
