using System.Buffers;
using System.Net.Sockets;
using Arca.DataPlane.Http;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Transport;

/// <summary>
/// One client connection: reads request heads (pipelined ones in order), answers each, and sends content with
/// sendfile(2). Idle connections hold no receive buffer (they wait with a zero-byte receive). Deadlines are enforced
/// by the listener's sweeper calling <see cref="CheckDeadline"/>, which shuts the socket down so that whatever the
/// connection is awaiting completes and the connection closes itself; nothing else ever closes the socket.
/// </summary>
internal sealed partial class DataPlaneConnection
{
    private const int MaxLingerBytes = 1 << 20;

    private readonly ConnectionContext _context;
    private readonly Socket _socket;
    private readonly RequestParser _parser;
    private readonly RequestHead _head = new();
    private readonly ConnectionIo _io;
    private readonly SocketPoller _poller;
    private readonly byte[] _headBuffer = new byte[ResponseWriter.BufferSize];
    private long _deadline;
    private int _phase;
    private int _timedOut;

    public DataPlaneConnection(long id, Socket socket, ConnectionContext context)
    {
        Id = id;
        _socket = socket;
        _context = context;
        var options = context.Options;
        _parser = new RequestParser(options.MaxRequestLineBytes, options.MaxHeaderBytes, options.MaxHeaderCount);
        _poller = context.Pollers[(int)(id % context.Pollers.Count)];
        _io = new ConnectionIo(id, socket, _poller, Touch);
        SetDeadline(ConnectionPhase.ReadingHead, context.HeaderTimeoutTicks);
    }

    public long Id { get; }

    /// <summary>The running <see cref="RunAsync"/>, set by the listener right after it starts it.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>Closes the connection if its current deadline has passed (called by the listener's sweeper).</summary>
    public void CheckDeadline(long now)
    {
        if (now < Volatile.Read(ref _deadline))
        {
            return;
        }
        var phase = (ConnectionPhase)Volatile.Read(ref _phase);
        // A slow head is half-closed for reading only, so the connection can still say 408.
        Abort(phase == ConnectionPhase.ReadingHead ? SocketShutdown.Receive : SocketShutdown.Both);
    }

    /// <summary>Stops the connection now (listener shutdown).</summary>
    public void Abort() => Abort(SocketShutdown.Both);

    public async Task RunAsync()
    {
        var addedRef = false;
        byte[]? buffer = null;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref addedRef);
            var start = 0;
            var end = 0;
            var first = true;
            while (true)
            {
                if (start == end)
                {
                    // Nothing pipelined: wait for the next request without holding a buffer.
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }
                    start = end = 0;
                    if (!first)
                    {
                        SetDeadline(ConnectionPhase.Idle, _context.IdleTimeoutTicks);
                    }
                    if (!await _io.WaitReadableAsync())
                    {
                        return;
                    }
                    buffer = ArrayPool<byte>.Shared.Rent(_context.ReceiveBufferSize);
                    var received = await _io.ReceiveAsync(buffer.AsMemory());
                    if (received == 0)
                    {
                        return;
                    }
                    end = received;
                    if (!first)
                    {
                        SetDeadline(ConnectionPhase.ReadingHead, _context.HeaderTimeoutTicks);
                    }
                }
                else
                {
                    Buffer.BlockCopy(buffer!, start, buffer!, 0, end - start);
                    end -= start;
                    start = 0;
                    SetDeadline(ConnectionPhase.ReadingHead, _context.HeaderTimeoutTicks);
                }
                first = false;

                _parser.Reset(_head);
                ParseStatus status;
                while ((status = _parser.Parse(buffer.AsSpan(0, end), _head)) == ParseStatus.Incomplete)
                {
                    if (end == buffer!.Length)
                    {
                        status = ParseStatus.Error; // unreachable: the limits trip before the buffer fills
                        break;
                    }
                    var received = await _io.ReceiveAsync(buffer.AsMemory(end));
                    if (received == 0)
                    {
                        if (Volatile.Read(ref _timedOut) != 0 && end > 0)
                        {
                            await SendErrorAsync(Response.Error(408, "request head not received in time", close: true));
                        }
                        return;
                    }
                    end += received;
                }

                _context.Counters.AddRequest();
                if (status == ParseStatus.Error)
                {
                    var (errorStatus, reason) = _parser.ErrorStatus == 0 ? (431, "request head too large") : (_parser.ErrorStatus, _parser.ErrorReason);
                    Log.BadRequest(_context.Logger, errorStatus, reason);
                    await SendErrorAsync(Response.Error(errorStatus, reason, close: true));
                    await LingerAsync(buffer);
                    return;
                }
                start = _parser.Consumed;

                SetDeadline(ConnectionPhase.Sending, _context.IdleTimeoutTicks);
                Response response;
                try
                {
                    response = _context.Responder.Decide(_head);
                }
                catch (Exception e)
                {
                    // A failing content source or authorizer costs this request (500, close), never the listener.
                    Log.DecideFailed(_context.Logger, _head.Path, e);
                    response = Response.Error(500, "internal error", close: true);
                }
                if (response.Deferred)
                {
                    response = await ResolveMissAsync(response);
                }
                var keepAlive = _head.KeepAlive && !response.Close;
                if (!await SendResponseAsync(response, keepAlive))
                {
                    return;
                }
                if (!keepAlive)
                {
                    await LingerAsync(buffer);
                    return;
                }
            }
        }
        catch (SocketException e)
        {
            Log.ConnectionFailed(_context.Logger, Id, e.SocketErrorCode.ToString());
        }
        catch (ObjectDisposedException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Log.UnexpectedError(_context.Logger, Id, e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            _poller.Forget(_io);
            if (addedRef)
            {
                _socket.SafeHandle.DangerousRelease();
            }
            _socket.Dispose();
        }
    }

    /// <summary>
    /// Content this node does not hold: the source (a tier) looks upstream, off the poller thread. A new token's check
    /// and the metadata fetch that overlaps it start here, on the poller, so their requests leave now: the hop to a
    /// pool thread that follows costs milliseconds on a busy machine (tens of them while a fleet's clients start),
    /// and each tier of a chain would pay it before asking the next.
    /// </summary>
    private async ValueTask<Response> ResolveMissAsync(Response deferred)
    {
        Task? check = null;
        if (deferred.PendingToken is { } pending)
        {
            _context.Responder.Content.PrepareMiss(deferred.Kind, deferred.Hex!, pending);
            check = StartCheck(pending);
        }
        await Task.Yield(); // leave the poller thread: the token check and the lookup may wait on the network
        if (check is not null)
        {
            try
            {
                await check;
                deferred = _context.Responder.Decide(_head, missResolved: false, null, tokenChecked: true);
            }
            catch (Exception e)
            {
                Log.MissLookupFailed(_context.Logger, _head.Path, e.Message);
                return Response.Error(502, "the token cannot be checked: the upstream cannot be reached: " + e.Message);
            }
            if (!deferred.Deferred)
            {
                return deferred;
            }
        }
        ContentLayout? layout;
        try
        {
            layout = await _context.Responder.Content.LookupMissAsync(deferred.Kind, deferred.Hex!, deferred.Repair, CancellationToken.None);
        }
        catch (InvalidDataException e)
        {
            // The origin's own copy failed its check (the source logged it): never serve it.
            return Response.Error(500, e.Message);
        }
        catch (Exception e)
        {
            Log.MissLookupFailed(_context.Logger, _head.Path, e.Message);
            return Response.Error(502, "not held here and the upstream cannot be reached: " + e.Message);
        }
        try
        {
            return _context.Responder.Decide(_head, missResolved: true, layout);
        }
        catch (Exception e)
        {
            Log.DecideFailed(_context.Logger, _head.Path, e);
            return Response.Error(500, "internal error", close: true);
        }
    }

    private async ValueTask<bool> SendResponseAsync(Response response, bool keepAlive)
    {
        var headRequest = _head.Method == HttpMethodKind.Head;
        var length = ResponseWriter.Write(_headBuffer, response, headRequest, keepAlive, _context.Time.GetUtcNow());
        await SendAllAsync(_headBuffer.AsMemory(0, length));
        _context.Counters.AddResponse(response.Status);
        _context.Counters.AddBytesSent(length);
        if (response.Layout is null)
        {
            return true;
        }

        if (response.Layout.Fill is { } fill)
        {
            return await SendFillAsync(fill, response.Layout.Length, response.First, response.ContentLength);
        }
        _io.ResetTransfer();
        AddSegments(response.Layout, response.First, response.ContentLength);
        var ok = await _io.SendFileAsync();
        _context.Counters.AddBytesSent(_io.BytesSent);
        if (!ok && _io.LastError == 0 && Volatile.Read(ref _timedOut) == 0)
        {
            Log.ContentShorterThanLayout(_context.Logger, Id, _io.BytesSent, response.ContentLength);
        }
        else if (!ok)
        {
            Log.SendfileFailed(_context.Logger, Id, _io.LastError, _io.BytesSent, response.ContentLength);
        }
        return ok;
    }

    /// <summary>
    /// Cut-through: sends [first, first+count) chunk by chunk, each as soon as the source holds it, pinned while it is
    /// sent. If a chunk cannot be had in time the response ends short and the connection closes (the client sees a
    /// truncated body, never wrong bytes).
    /// </summary>
    private async ValueTask<bool> SendFillAsync(IContentFill fill, long length, long first, long count)
    {
        var starts = fill.ChunkStarts;
        var index = UpperBound(starts, first) - 1;
        long total = 0;
        try
        {
            while (count > 0)
            {
                var chunkEnd = index + 1 < starts.Count ? starts[index + 1] : length;
                ContentExtent extent;
                // Waiting for a chunk from upstream is not an idle client: the source bounds the wait itself.
                SetDeadline(ConnectionPhase.Sending, long.MaxValue / 4);
                try
                {
                    extent = await fill.AcquireAsync(index, CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.FillFailed(_context.Logger, Id, _head.Path, total, e.Message);
                    return false;
                }
                try
                {
                    Touch();
                    var skip = first - starts[index];
                    var take = Math.Min(chunkEnd - first, count);
                    _io.ResetTransfer();
                    _io.Add(extent.File, extent.Offset + skip, take);
                    var ok = await _io.SendFileAsync();
                    _context.Counters.AddBytesSent(_io.BytesSent);
                    total += _io.BytesSent;
                    if (!ok)
                    {
                        return false;
                    }
                    first += take;
                    count -= take;
                }
                finally
                {
                    fill.Release(index);
                }
                index++;
            }
            return true;
        }
        finally
        {
            Touch();
        }
    }

    private Task StartCheck(string token)
    {
        try
        {
            return _context.Responder.Bearer.CheckAsync(token).AsTask();
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>The index of the first start greater than <paramref name="position"/>.</summary>
    private static int UpperBound(IReadOnlyList<long> starts, long position)
    {
        int lo = 0, hi = starts.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (starts[mid] <= position)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Maps [first, first+count) of the content onto its extents; the transfer joins adjacent runs of one file.</summary>
    private void AddSegments(ContentLayout layout, long first, long count)
    {
        long position = 0;
        foreach (var extent in layout.Extents)
        {
            if (count == 0)
            {
                break;
            }
            var extentEnd = position + extent.Length;
            if (first < extentEnd)
            {
                var skip = first - position;
                var take = Math.Min(extent.Length - skip, count);
                _io.Add(extent.File, extent.Offset + skip, take);
                first += take;
                count -= take;
            }
            position = extentEnd;
        }
    }

    private async ValueTask SendErrorAsync(Response response)
    {
        try
        {
            var length = ResponseWriter.Write(_headBuffer, response, headRequest: false, keepAlive: false, _context.Time.GetUtcNow());
            await SendAllAsync(_headBuffer.AsMemory(0, length));
            _context.Counters.AddResponse(response.Status);
            _context.Counters.AddBytesSent(length);
        }
        catch (SocketException)
        {
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        await _io.SendAsync(bytes);
    }

    /// <summary>
    /// Half-closes and reads (and drops) what the client already sent, for a short while: closing a socket with unread
    /// input makes the kernel send a reset, which can destroy the response before the client has read it.
    /// </summary>
    private async ValueTask LingerAsync(byte[]? buffer)
    {
        if (Volatile.Read(ref _timedOut) != 0)
        {
            return;
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            SetDeadline(ConnectionPhase.Draining, _context.LingerTicks);
            var scratch = buffer ?? new byte[4096];
            var drained = 0;
            while (drained < MaxLingerBytes)
            {
                var received = await _io.ReceiveAsync(scratch.AsMemory());
                if (received == 0)
                {
                    break;
                }
                drained += received;
            }
        }
        catch (SocketException)
        {
        }
    }

    private void SetDeadline(ConnectionPhase phase, long ticks)
    {
        Volatile.Write(ref _phase, (int)phase);
        Volatile.Write(ref _deadline, _context.Time.GetTimestamp() + ticks);
    }

    /// <summary>Progress while sending moves the deadline (a slow reader is fine, a stalled one is not).</summary>
    private void Touch() => Volatile.Write(ref _deadline, _context.Time.GetTimestamp() + _context.IdleTimeoutTicks);

    private void Abort(SocketShutdown how)
    {
        if (Interlocked.Exchange(ref _timedOut, 1) != 0)
        {
            return;
        }
        try
        {
            _socket.Shutdown(how);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ConnectionFailed, Level = LogLevel.Debug, Message = "connection {Id} failed: {Error}")]
        public static partial void ConnectionFailed(ILogger logger, long id, string error);

        [LoggerMessage(EventId = LogEvents.BadRequest, Level = LogLevel.Debug, Message = "rejected a request with {Status}: {Reason}")]
        public static partial void BadRequest(ILogger logger, int status, string reason);

        [LoggerMessage(EventId = LogEvents.SendfileFailed, Level = LogLevel.Debug,
            Message = "connection {Id}: sendfile stopped with errno {Errno} after {Sent} of {Length} bytes")]
        public static partial void SendfileFailed(ILogger logger, long id, int errno, long sent, long length);

        [LoggerMessage(EventId = LogEvents.FillFailed, Level = LogLevel.Warning,
            Message = "connection {Id}: {Path} ended after {Sent} bytes: a chunk could not be had from upstream ({Reason})")]
        public static partial void FillFailed(ILogger logger, long id, string path, long sent, string reason);

        [LoggerMessage(EventId = LogEvents.MissLookupFailed, Level = LogLevel.Warning, Message = "{Path}: upstream lookup failed: {Reason}")]
        public static partial void MissLookupFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = LogEvents.DecideFailed, Level = LogLevel.Error, Message = "answering {Path} failed")]
        public static partial void DecideFailed(ILogger logger, string path, Exception e);

        [LoggerMessage(EventId = LogEvents.UnexpectedError, Level = LogLevel.Error, Message = "connection {Id} failed unexpectedly")]
        public static partial void UnexpectedError(ILogger logger, long id, Exception e);

        [LoggerMessage(EventId = LogEvents.InconsistentLayout, Level = LogLevel.Error,
            Message = "connection {Id}: a file ended early, {Sent} of {Length} bytes sent; the store changed under a layout it returned")]
        public static partial void ContentShorterThanLayout(ILogger logger, long id, long sent, long length);
    }
}
