namespace Arca.Client;

/// <summary>The documented exit codes of the <c>arca</c> command line.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Conflict = 4;
    public const int Forbidden = 5;
    public const int VerificationFailed = 6;
    public const int Unreachable = 7;
    public const int BadConfig = 8;

    /// <summary>Maps an HTTP status of the registry to the exit code a script can test.</summary>
    public static int FromStatus(int status) => status switch
    {
        < 400 => Ok,
        401 or 403 => Forbidden,
        404 => NotFound,
        409 or 412 => Conflict,
        >= 500 => Unreachable,
        _ => Failure,
    };
}
