namespace Arca.DataPlane;

/// <summary>Every data-plane log event id (range 2000–2099, next to the server's 1000–1299).</summary>
internal static class LogEvents
{
    public const int Listening = 2000;
    public const int Stopped = 2001;
    public const int AcceptFailed = 2002;
    public const int ConnectionLimit = 2003;
    public const int CongestionControlRefused = 2004;
    public const int ConnectionFailed = 2010;
    public const int BadRequest = 2011;
    public const int DecideFailed = 2012;
    public const int UnexpectedError = 2013;
    public const int SendfileFailed = 2020;
    public const int InconsistentLayout = 2021;
    public const int FillFailed = 2022;
    public const int MissLookupFailed = 2023;
    public const int PollerFailed = 2030;
}
