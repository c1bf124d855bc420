using Arca.DataPlane.Http;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Transport;

/// <summary>What every connection of one listener shares.</summary>
internal sealed class ConnectionContext(
    DataPlaneOptions options,
    ContentResponder responder,
    DataPlaneCounters counters,
    IReadOnlyList<SocketPoller> pollers,
    TimeProvider time,
    ILogger logger)
{
    public DataPlaneOptions Options { get; } = options;

    public ContentResponder Responder { get; } = responder;

    public DataPlaneCounters Counters { get; } = counters;

    /// <summary>One per core; a connection stays on the one it was dealt.</summary>
    public IReadOnlyList<SocketPoller> Pollers { get; } = pollers;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    public int ReceiveBufferSize { get; } = RequestParser.BufferSize(options);

    public long HeaderTimeoutTicks { get; } = ToTicks(options.HeaderTimeout, time);

    public long IdleTimeoutTicks { get; } = ToTicks(options.IdleTimeout, time);

    /// <summary>How long a closing connection drains unread input so the peer sees the last response, not a reset.</summary>
    public long LingerTicks { get; } = ToTicks(TimeSpan.FromSeconds(Math.Min(2, options.HeaderTimeout.TotalSeconds)), time);

    private static long ToTicks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
