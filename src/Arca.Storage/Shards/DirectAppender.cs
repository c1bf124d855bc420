using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Arca.Storage.Shards;

/// <summary>
/// Writes one segment's chunk bytes around the page cache. Whole 4 KiB blocks go through the pack's O_DIRECT handle
/// from page-aligned staging buffers (two: one is written while the other fills). The partial blocks at the two ends
/// of the segment's data go through the normal handle, because those blocks also hold bytes this writer does not own
/// (the segment header, the previous segment).
/// </summary>
/// <remarks>
/// Why: an upload's bytes are read back only after their segment is closed, so they need not pass through the page
/// cache, and on a VM whose balloon keeps handing memory back to the host, every new page-cache page costs a host
/// fault. Measured here: the buffered copy (pwrite into the page cache) was 16 % of the server's CPU during an upload
/// (perf/ingest/profile-notes.md), and `dd conv=fdatasync` reaches 0.4–0.7 GB/s where arca now ingests 0.77 GB/s
/// (perf/results/ingest.md). If the file system refuses an O_DIRECT write,
/// the appender falls back to the normal handle for good.
/// </remarks>
internal sealed unsafe class DirectAppender : IDisposable
{
    public const int BlockSize = 4096;
    private const int StageSize = 4 << 20;
    private const int PooledStages = 8;

    private static readonly ConcurrentBag<nint> Pool = [];

    private readonly SafeFileHandle _buffered;
    private readonly SafeFileHandle _direct;
    private readonly nint[] _stage = new nint[2];
    private readonly Task?[] _writes = new Task?[2];
    private int _current;
    private int _fill;
    private long _stageOffset;
    private long _alignedStart;
    private long _next;
    private volatile bool _directFailed;
    private bool _disposed;

    private DirectAppender(SafeFileHandle buffered, SafeFileHandle direct)
    {
        _buffered = buffered;
        _direct = direct;
    }

    /// <summary>An appender for <paramref name="pack"/>, or null where O_DIRECT is not available.</summary>
    public static DirectAppender? TryCreate(Pack pack)
    {
        if (!pack.DirectTried)
        {
            pack.DirectTried = true;
            pack.DirectHandle = Native.LibC.OpenDirectWriter(pack.Path);
        }
        return pack.DirectHandle is { } direct ? new DirectAppender(pack.Handle, direct) : null;
    }

    /// <summary>Starts a segment whose data begins at <paramref name="dataStart"/>.</summary>
    public void Begin(long dataStart)
    {
        Debug.Assert(_fill == 0, "The previous segment was not finished.");
        _alignedStart = AlignUp(dataStart);
        _stageOffset = _alignedStart;
        _next = dataStart;
    }

    /// <summary>Writes the segment's next bytes, which belong at <paramref name="position"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes, long position)
    {
        Debug.Assert(position == _next, "Segment data is written in order.");
        _next = position + bytes.Length;
        if (position < _alignedStart)
        {
            var head = (int)Math.Min(bytes.Length, _alignedStart - position);
            RandomAccess.Write(_buffered, bytes[..head], position);
            bytes = bytes[head..];
        }
        while (!bytes.IsEmpty)
        {
            if (_stage[_current] == 0)
            {
                _stage[_current] = RentStage();
            }
            var take = Math.Min(bytes.Length, StageSize - _fill);
            bytes[..take].CopyTo(new Span<byte>((byte*)_stage[_current] + _fill, take));
            _fill += take;
            bytes = bytes[take..];
            if (_fill == StageSize)
            {
                SubmitFullStage();
            }
        }
    }

    /// <summary>Ends the segment's data: on return every byte written so far is in the file (not yet durable).</summary>
    public void Finish()
    {
        var stage = (byte*)_stage[_current];
        var whole = _fill & ~(BlockSize - 1);
        var tail = _fill - whole;
        if (tail > 0)
        {
            RandomAccess.Write(_buffered, new ReadOnlySpan<byte>(stage + whole, tail), _stageOffset + whole);
        }
        if (whole > 0)
        {
            WriteBlocks((nint)stage, whole, _stageOffset);
        }
        _stageOffset += _fill;
        _fill = 0;
        WaitForWrites(throwErrors: true);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        WaitForWrites(throwErrors: false); // the stages must not be reused while the kernel may still read them
        for (var i = 0; i < _stage.Length; i++)
        {
            if (_stage[i] != 0)
            {
                ReturnStage(_stage[i]);
                _stage[i] = 0;
            }
        }
    }

    private void SubmitFullStage()
    {
        var stage = _stage[_current];
        var offset = _stageOffset;
        _writes[_current] = Task.Run(() => WriteBlocks(stage, StageSize, offset));
        _stageOffset += StageSize;
        _fill = 0;
        _current ^= 1;
        // The other stage's write must be done before it is filled again; Wait runs it here if it has not started.
        if (_writes[_current] is { } previous)
        {
            _writes[_current] = null;
            previous.GetAwaiter().GetResult();
        }
    }

    private void WriteBlocks(nint stage, int length, long offset)
    {
        var bytes = new ReadOnlySpan<byte>((byte*)stage, length);
        if (!_directFailed)
        {
            try
            {
                RandomAccess.Write(_direct, bytes, offset);
                return;
            }
            catch (IOException)
            {
                // EINVAL: this file system wants another alignment, or no O_DIRECT at all. A real I/O error fails
                // again below, on the normal handle, and is thrown from there.
                _directFailed = true;
            }
        }
        RandomAccess.Write(_buffered, bytes, offset);
    }

    private void WaitForWrites(bool throwErrors)
    {
        Exception? error = null;
        for (var i = 0; i < _writes.Length; i++)
        {
            if (_writes[i] is not { } write)
            {
                continue;
            }
            _writes[i] = null;
            try
            {
                write.GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error ??= e;
            }
        }
        if (error is not null && throwErrors)
        {
            throw new IOException("writing a pack failed: " + error.Message, error);
        }
    }

    private static nint RentStage() =>
        Pool.TryTake(out var stage) ? stage : (nint)NativeMemory.AlignedAlloc(StageSize, BlockSize);

    private static void ReturnStage(nint stage)
    {
        if (Pool.Count < PooledStages)
        {
            Pool.Add(stage);
        }
        else
        {
            NativeMemory.AlignedFree((void*)stage);
        }
    }

    private static long AlignUp(long offset) => (offset + BlockSize - 1) & ~(long)(BlockSize - 1);
}
