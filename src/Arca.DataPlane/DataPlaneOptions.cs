using System.Net;

namespace Arca.DataPlane;

/// <summary>Where the data plane listens and the limits it enforces on every connection.</summary>
public sealed record DataPlaneOptions
{
    public required IPEndPoint Listen { get; init; }

    /// <summary>Connections beyond this are answered 503 and closed.</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>Longest request line (method, target, version; without CRLF) before 414.</summary>
    public int MaxRequestLineBytes { get; init; } = 8192;

    /// <summary>Largest header section (all field lines with their CRLFs) before 431.</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    /// <summary>Most header field lines before 431.</summary>
    public int MaxHeaderCount { get; init; } = 64;

    /// <summary>Time allowed for a whole request head, from its first byte (from accept for a connection's first request).</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// TCP congestion control of data-plane connections (<c>TCP_CONGESTION</c>), e.g. "cubic"; null or empty leaves the
    /// kernel's default.
    /// </summary>
    public string? TcpCongestion { get; init; }

    /// <summary>Time a keep-alive connection may sit between requests, and a response may go without any progress.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
