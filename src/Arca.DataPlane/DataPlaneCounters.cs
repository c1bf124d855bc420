namespace Arca.DataPlane;

/// <summary>Live counters of one listener; every read is a consistent 64-bit read, the set as a whole is not a snapshot.</summary>
public sealed class DataPlaneCounters
{
    private long _requests;
    private long _bytesSent;
    private long _responses2xx;
    private long _responses3xx;
    private long _responses4xx;
    private long _responses5xx;
    private long _activeConnections;
    private long _acceptedConnections;
    private long _rejectedConnections;

    /// <summary>Request heads parsed (or rejected as malformed).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Response bytes written to sockets: heads, small bodies and sendfile(2) content.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long Responses2xx => Interlocked.Read(ref _responses2xx);

    public long Responses3xx => Interlocked.Read(ref _responses3xx);

    public long Responses4xx => Interlocked.Read(ref _responses4xx);

    public long Responses5xx => Interlocked.Read(ref _responses5xx);

    public long ActiveConnections => Interlocked.Read(ref _activeConnections);

    public long AcceptedConnections => Interlocked.Read(ref _acceptedConnections);

    /// <summary>Connections refused (503) because <see cref="DataPlaneOptions.MaxConnections"/> were open.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddBytesSent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    internal void AddResponse(int status)
    {
        switch (status / 100)
        {
            case 2: Interlocked.Increment(ref _responses2xx); break;
            case 3: Interlocked.Increment(ref _responses3xx); break;
            case 4: Interlocked.Increment(ref _responses4xx); break;
            case 5: Interlocked.Increment(ref _responses5xx); break;
            default: break;
        }
    }

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _acceptedConnections);
        Interlocked.Increment(ref _activeConnections);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    internal void ConnectionRejected() => Interlocked.Increment(ref _rejectedConnections);
}
