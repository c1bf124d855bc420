using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Arca.DataPlane.Native;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Transport;

/// <summary>
/// A thread blocked in epoll_wait(2) for its share of the data-plane sockets (the listener runs one per core
/// and deals connections out round-robin, like nginx workers). Connections arm their socket one-shot for the
/// one readiness they wait for (readable between requests, writable when a send would block); a socket that is
/// already ready when armed is reported at once (epoll_ctl polls on ADD/MOD), so no wake-up is lost. For a socket
/// in the middle of a sendfile transfer the thread pumps the next sendfile(2) calls itself and re-arms, as an nginx
/// worker does; any other wait resumes the connection inline on this thread (see <see cref="ConnectionIo"/>).
/// </summary>
/// <remarks>
/// Data-plane sockets are non-blocking and never used with .NET's async socket methods, so the runtime's own epoll
/// thread never sees them: otherwise every EPOLLOUT edge of a large download would also wake it and a pool thread.
/// </remarks>
internal sealed unsafe partial class SocketPoller : IDisposable
{
    private const int MaxEvents = 256;
    private const long WakeId = 0;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<long, ConnectionIo> _registered = new();
    private readonly ILogger _logger;
    private volatile bool _stopping;
    private int _disposed;

    public SocketPoller(int index, ILogger logger)
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
        _thread = new Thread(Run) { IsBackground = true, Name = $"arca-poll-{index}" };
        _thread.Start();
    }

    /// <summary>Reports <paramref name="io"/> once when its socket has any of <paramref name="events"/>; false if epoll refused.</summary>
    public bool Arm(ConnectionIo io, uint events)
    {
        events |= Libc.EpollOneShot;
        if (io.Registered)
        {
            return Control(Libc.EpollCtlMod, io.SocketFd, events, io.Id) == 0;
        }
        _registered[io.Id] = io;
        if (Control(Libc.EpollCtlAdd, io.SocketFd, events, io.Id) != 0)
        {
            _registered.TryRemove(io.Id, out _);
            return false;
        }
        io.Registered = true;
        return true;
    }

    /// <summary>Removes the socket from the epoll set; call before closing it, with nothing armed.</summary>
    public void Forget(ConnectionIo io)
    {
        if (!io.Registered)
        {
            return;
        }
        Libc.EpollCtl(_epoll, Libc.EpollCtlDel, io.SocketFd, null);
        _registered.TryRemove(io.Id, out _);
        io.Registered = false;
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
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
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
                    Log.PollerFailed(_logger, errno);
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
                    else if (_registered.TryGetValue(id, out var io))
                    {
                        io.OnReady();
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
        [LoggerMessage(EventId = LogEvents.PollerFailed, Level = LogLevel.Critical,
            Message = "the data-plane poller stopped: epoll_wait failed with errno {Errno}")]
        public static partial void PollerFailed(ILogger logger, int errno);
    }
}
