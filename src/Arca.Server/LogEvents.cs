namespace Arca.Server;

/// <summary>Every log event id, one range per area: 1000 host, 1100 auth, 1200 requests.</summary>
internal static class LogEvents
{
    public const int Started = 1000;
    public const int BootstrapToken = 1001;
    public const int Stopping = 1002;
    public const int UnhandledError = 1200;
}
