using System.Runtime.InteropServices;
using Arca.DataPlane.Native;
using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane.Transport;

/// <summary>
/// The content of one response on its way from files to a non-blocking socket through sendfile(2). It is pumped
/// inline by the connection first; when the socket buffer fills it is handed to the <see cref="SendfileEngine"/>,
/// which pumps it again each time epoll reports the socket writable. One instance per connection, reused.
/// </summary>
internal sealed unsafe class SendfileTransfer(long id, int socketFd, SendfileEngine engine, Action onProgress)
{
    /// <summary>Largest single sendfile(2); a non-blocking socket stops earlier anyway when its buffer is full.</summary>
    private const long MaxPerCall = 16L << 20;

    /// <summary>Bytes one wake-up may move before yielding, so one fast reader cannot starve the others.</summary>
    private const long BudgetPerPump = 64L << 20;

    private readonly List<FileSegment> _segments = [];
    private int _index;
    private TaskCompletionSource<bool>? _completion;

    public long Id { get; } = id;

    public int SocketFd { get; } = socketFd;

    /// <summary>Whether the socket is in the engine's epoll set (touched only by whoever holds the transfer).</summary>
    public bool Registered { get; set; }

    /// <summary>Content bytes sent for the current response.</summary>
    public long BytesSent { get; private set; }

    /// <summary>errno of the failure, or 0 (file shorter than its extent).</summary>
    public int LastError { get; private set; }

    public void Reset()
    {
        _segments.Clear();
        _index = 0;
        BytesSent = 0;
        LastError = 0;
    }

    /// <summary>Appends bytes to send; a run continuing the previous one in the same file joins it, so it costs no extra call.</summary>
    public void Add(SafeFileHandle file, long offset, long count)
    {
        if (count == 0)
        {
            return;
        }
        if (_segments.Count > 0)
        {
            var last = _segments[^1];
            if (SameFile(last.File, file) && last.Offset + last.Remaining == offset)
            {
                last.Remaining += count;
                _segments[^1] = last;
                return;
            }
        }
        _segments.Add(new FileSegment(file, offset, count));
    }

    /// <summary>For tests: the coalesced segments as (file, offset, count).</summary>
    internal IReadOnlyList<FileSegment> Segments => _segments;

    /// <summary>Sends everything; true when all bytes reached the socket, false when the connection must be closed.</summary>
    public ValueTask<bool> SendAsync()
    {
        var result = Pump();
        if (result == PumpResult.Done)
        {
            return new ValueTask<bool>(true);
        }
        if (result == PumpResult.Failed)
        {
            return new ValueTask<bool>(false);
        }
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _completion = completion;
        if (!engine.Arm(this))
        {
            _completion = null;
            return new ValueTask<bool>(false);
        }
        return new ValueTask<bool>(completion.Task);
    }

    /// <summary>Called on the engine thread when epoll reports the socket writable (or hung up).</summary>
    internal void OnWritable()
    {
        PumpResult result;
        try
        {
            result = Pump();
        }
        catch (ObjectDisposedException)
        {
            result = PumpResult.Failed;
        }
        if (result is PumpResult.Blocked or PumpResult.Yielded)
        {
            if (engine.Arm(this))
            {
                return;
            }
            result = PumpResult.Failed;
        }
        var completion = _completion;
        _completion = null;
        // Last action: once completed, the connection may reuse or drop this transfer on another thread.
        completion?.TrySetResult(result == PumpResult.Done);
    }

    private PumpResult Pump()
    {
        long moved = 0;
        try
        {
            while (_index < _segments.Count)
            {
                var segment = _segments[_index];
                if (segment.Remaining == 0)
                {
                    _index++;
                    continue;
                }
                if (moved >= BudgetPerPump)
                {
                    return PumpResult.Yielded;
                }
                var added = false;
                nint sent;
                var offset = segment.Offset;
                try
                {
                    segment.File.DangerousAddRef(ref added);
                    var fileFd = (int)segment.File.DangerousGetHandle();
                    sent = Libc.SendFile(SocketFd, fileFd, &offset, (nuint)Math.Min(segment.Remaining, MaxPerCall));
                }
                finally
                {
                    if (added)
                    {
                        segment.File.DangerousRelease();
                    }
                }
                if (sent > 0)
                {
                    segment.Offset += sent;
                    segment.Remaining -= sent;
                    _segments[_index] = segment;
                    moved += sent;
                    continue;
                }
                if (sent == 0)
                {
                    LastError = 0; // end of file before the extent's end: the store changed under us
                    return PumpResult.Failed;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }
                if (errno == Libc.EAGAIN)
                {
                    return PumpResult.Blocked;
                }
                LastError = errno;
                return PumpResult.Failed;
            }
            return PumpResult.Done;
        }
        finally
        {
            if (moved > 0)
            {
                BytesSent += moved;
                onProgress();
            }
        }
    }

    private static bool SameFile(SafeFileHandle a, SafeFileHandle b) =>
        ReferenceEquals(a, b) || a.DangerousGetHandle() == b.DangerousGetHandle();
}
