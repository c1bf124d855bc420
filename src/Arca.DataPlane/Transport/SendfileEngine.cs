using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Arca.DataPlane.Native;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Transport;

/// <summary>
/// One thread blocked in epoll_wait(2) on the sockets whose send buffer filled up. Sockets are armed one-shot for
/// EPOLLOUT; when one drains, the thread pumps that transfer's next sendfile(2) calls itself (non-blocking, bounded by
/// a budget) and re-arms it, as nginx's worker does. Only a finished transfer hops back to the thread pool. A fresh
/// arm of a socket that is already writable is reported at once (epoll_ctl polls on ADD/MOD), so no wake-up is lost.
/// </summary>
internal sealed unsafe partial class SendfileEngine : IDisposable
{
    private const int MaxEvents = 256;
    private const long WakeId = 0;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<long, SendfileTransfer> _registered = new();
    private readonly ILogger _logger;
    private volatile bool _stopping;
    private int _disposed;

    public SendfileEngine(ILogger logger)
    {
        _logger = logger;
        _epoll = Libc.EpollCreate1(Libc.CloseOnExec);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _wake = Libc.EventFd(0, Libc.CloseOnExec | Libc.EventFdNonBlock);
        if (_wake < 0 || Control(Libc.EpollCtlAdd, _wake, Libc.EpollIn, WakeId) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Libc.Close(_epoll);
            throw new InvalidOperationException($"eventfd/epoll_ctl failed: errno {errno}");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "arca-sendfile" };
        _thread.Start();
    }

    /// <summary>Waits (one-shot) for the transfer's socket to become writable; false if epoll refused it.</summary>
    public bool Arm(SendfileTransfer transfer)
    {
        if (transfer.Registered)
        {
            return Control(Libc.EpollCtlMod, transfer.SocketFd, Libc.EpollOut | Libc.EpollOneShot, transfer.Id) == 0;
        }
        _registered[transfer.Id] = transfer;
        if (Control(Libc.EpollCtlAdd, transfer.SocketFd, Libc.EpollOut | Libc.EpollOneShot, transfer.Id) != 0)
        {
            _registered.TryRemove(transfer.Id, out _);
            return false;
        }
        transfer.Registered = true;
        return true;
    }

    /// <summary>Removes the socket from the epoll set; call before closing it, with no transfer in flight.</summary>
    public void Forget(SendfileTransfer transfer)
    {
        if (!transfer.Registered)
        {
            return;
        }
        Libc.EpollCtl(_epoll, Libc.EpollCtlDel, transfer.SocketFd, null);
        _registered.TryRemove(transfer.Id, out _);
        transfer.Registered = false;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping = true;
        ulong one = 1;
        Libc.Write(_wake, &one, sizeof(ulong));
        _thread.Join(TimeSpan.FromSeconds(5));
        Libc.Close(_wake);
        Libc.Close(_epoll);
    }

    private int Control(int op, int fd, uint events, long id)
    {
        var ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + Libc.EpollEventDataOffset, id);
        return Libc.EpollCtl(_epoll, op, fd, ev);
    }

    private void Run()
    {
        var size = Libc.EpollEventSize;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * size));
        try
        {
            while (!_stopping)
            {
                var count = Libc.EpollWait(_epoll, events, MaxEvents, -1);
                if (count < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }
                    Log.EngineFailed(_logger, errno);
                    return;
                }
                for (var i = 0; i < count; i++)
                {
                    var id = Unsafe.ReadUnaligned<long>(events + (i * size) + Libc.EpollEventDataOffset);
                    if (id == WakeId)
                    {
                        ulong value;
                        Libc.Read(_wake, &value, sizeof(ulong));
                    }
                    else if (_registered.TryGetValue(id, out var transfer))
                    {
                        transfer.OnWritable();
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.EngineFailed, Level = LogLevel.Critical,
            Message = "the sendfile engine stopped: epoll_wait failed with errno {Errno}")]
        public static partial void EngineFailed(ILogger logger, int errno);
    }
}
