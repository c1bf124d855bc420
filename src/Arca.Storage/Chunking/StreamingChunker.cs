using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Arca.Storage.Chunking;

/// <summary>
/// Feeds arbitrary-sized pieces of a stream and yields chunk boundaries; keeps at most MaxSize bytes buffered.
/// </summary>
/// <remarks>
/// Chunks are cut straight from the caller's span when nothing is pending, so only the tail of each piece (an
/// unfinished chunk) is copied. The pending chunk is never rehashed when more bytes arrive. The chunks are exactly
/// those of <see cref="FastCdc.LeadBoundary"/> over the stream's lead, then
/// <see cref="FastCdc.NextBoundary(ReadOnlySpan{byte}, bool)"/>, however the stream is split.
/// Not thread-safe; one instance per stream.
/// </remarks>
public sealed class StreamingChunker : IDisposable
{
    private readonly FastCdc _cdc;
    private byte[]? _buffer;
    private int _start;
    private int _count;
    private int _scanned;
    private ulong _hash;
    private bool _completed;
    private long _emitted;

    /// <summary>Rents a buffer of MaxSize bytes from <see cref="ArrayPool{T}.Shared"/>; <see cref="Dispose"/> returns it.</summary>
    public StreamingChunker(FastCdc cdc)
    {
        ArgumentNullException.ThrowIfNull(cdc);
        _cdc = cdc;
        _buffer = ArrayPool<byte>.Shared.Rent(cdc.Options.MaxSize);
    }

    /// <summary>Total number of bytes passed to <see cref="Append"/>.</summary>
    public long BytesAppended { get; private set; }

    /// <summary>
    /// Appends bytes; invokes <paramref name="onChunk"/> for each completed chunk, in order. The span given to
    /// <paramref name="onChunk"/> is only valid during the call.
    /// </summary>
    public void Append(ReadOnlySpan<byte> data, ChunkHandler onChunk)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        byte[] buffer = EnsureWritable();
        BytesAppended += data.Length;

        while (!data.IsEmpty)
        {
            if (_count == 0)
            {
                // Nothing pending: cut from the caller's memory and keep only the unfinished tail, which is
                // shorter than MaxSize because NextBoundary only asks for more bytes below MaxSize.
                int cut;
                while ((cut = Boundary(data, isFinal: false)) > 0)
                {
                    onChunk(data[..cut]);
                    data = data[cut..];
                }

                data.CopyTo(buffer);
                _start = 0;
                _count = data.Length;
                return;
            }

            if (_start + _count == buffer.Length)
            {
                // Out of room at the end: move the pending chunk (shorter than MaxSize) to the front.
                Buffer.BlockCopy(buffer, _start, buffer, 0, _count);
                _start = 0;
            }

            int take = Math.Min(data.Length, buffer.Length - _start - _count);
            data[..take].CopyTo(buffer.AsSpan(_start + _count));
            _count += take;
            data = data[take..];

            EmitPending(buffer, isFinal: false, onChunk);
        }
    }

    /// <summary>End of stream: emits the remaining chunk(s). Further calls to <see cref="Append"/> or <see cref="Complete"/> throw.</summary>
    public void Complete(ChunkHandler onChunk)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        byte[] buffer = EnsureWritable();
        _completed = true;
        EmitPending(buffer, isFinal: true, onChunk);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void EmitPending(byte[] buffer, bool isFinal, ChunkHandler onChunk)
    {
        int cut;
        while (_count > 0
            && (cut = Boundary(buffer.AsSpan(_start, _count), isFinal)) > 0)
        {
            onChunk(buffer.AsSpan(_start, cut));
            _start += cut;
            _count -= cut;
        }

        if (_count == 0)
        {
            _start = 0;
        }
    }

    private int Boundary(ReadOnlySpan<byte> data, bool isFinal)
    {
        int cut = _emitted < _cdc.LeadSize ? _cdc.LeadBoundary(data, isFinal) : _cdc.NextBoundary(data, isFinal, ref _scanned, ref _hash);
        _emitted += cut;
        return cut;
    }

    private byte[] EnsureWritable()
    {
        byte[] buffer = _buffer ?? ThrowDisposed();
        if (_completed)
        {
            ThrowCompleted();
        }

        return buffer;
    }

    [DoesNotReturn]
    private static byte[] ThrowDisposed() => throw new ObjectDisposedException(nameof(StreamingChunker));

    [DoesNotReturn]
    private static void ThrowCompleted() =>
        throw new InvalidOperationException("The stream was already completed; use a new StreamingChunker.");
}
