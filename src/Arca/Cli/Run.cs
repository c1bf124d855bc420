using Arca.Client;
using Arca.Configuration;

namespace Arca.Cli;

/// <summary>Runs a client command, turning an unreachable registry or bad config into a message and exit code.</summary>
internal static class Run
{
    public static async Task<int> Guarded(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"arca: registry unreachable: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (TaskCanceledException)
        {
            await Console.Error.WriteLineAsync("arca: registry did not answer in time");
            return ExitCodes.Unreachable;
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"arca: configuration error: {e.Message}");
            return ExitCodes.BadConfig;
        }
        catch (Arca.Client.Transfer.ArcaClientException e)
        {
            await Console.Error.WriteLineAsync($"arca: {e.Message}");
            return e.ExitCode;
        }
        catch (HttpIOException e)
        {
            await Console.Error.WriteLineAsync($"arca: registry connection broke: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Local files: a full disk, a path that is a file, no permission. Said plainly, not as a stack trace.
            await Console.Error.WriteLineAsync($"arca: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Prints the problem of a failed response and returns its exit code.</summary>
    public static int Fail(RegistryResponse response)
    {
        Console.Error.WriteLine("arca: " + response.ErrorMessage);
        return ExitCodes.FromStatus(response.Status);
    }
}
