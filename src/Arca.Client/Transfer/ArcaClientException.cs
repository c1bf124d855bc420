namespace Arca.Client.Transfer;

/// <summary>A push, pull or sync that cannot go on; <see cref="ExitCode"/> is what the CLI exits with.</summary>
public sealed class ArcaClientException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static ArcaClientException From(RegistryResponse response, string doing) =>
        new($"{doing}: {response.ErrorMessage}", ExitCodes.FromStatus(response.Status));
}
