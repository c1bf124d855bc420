namespace Arca.DataPlane.Transport;

internal enum PumpResult
{
    /// <summary>Every byte was handed to the socket.</summary>
    Done,

    /// <summary>The socket buffer is full (EAGAIN): wait until it drains.</summary>
    Blocked,

    /// <summary>This wake-up's budget is spent: go to the back of the queue so other connections get a turn.</summary>
    Yielded,

    /// <summary>The peer went away, the socket was shut down or a file came up short: close the connection.</summary>
    Failed,
}
