using Arca.Client;

namespace Arca.Cli;

/// <summary>Arguments the parser accepted but the command cannot use (exit code 2).</summary>
internal static class Usage
{
    public static int Fail(string message)
    {
        Console.Error.WriteLine("arca: " + message);
        return ExitCodes.Usage;
    }
}
