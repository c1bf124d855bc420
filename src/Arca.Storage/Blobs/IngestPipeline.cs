using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Arca.Storage.Blobs;

/// <summary>
/// Moves a long stream into a <see cref="BlobWriter"/> in three stages that do not wait for each other: the caller
/// reads the stream into a ring of buffers, one thread computes the whole-blob SHA-256 and another chunks, hashes and
/// stores chunks. A buffer goes back to the ring when both threads are done with it.
/// </summary>
/// <remarks>
/// Why not lock-step (read one buffer while the previous one is hashed and chunked): the chunking side costs about
/// twice the whole-blob hash, so in lock step the hash thread idled half the time and a late socket read stalled both.
/// With a ring each stage runs at its own pace and the two cores stay busy; the slowest stage sets the speed.
/// Dedicated threads, not the thread pool: on a 2-core host two long CPU-bound loops would hold both of the pool's
/// threads and starve the socket reads that feed them. Memory is bounded by the ring: <see cref="Buffers"/> ×
/// <see cref="BufferSize"/>.
/// </remarks>
internal sealed class IngestPipeline
{
    public const int BufferSize = 4 << 20;
    private const int Buffers = 4;

    private readonly BlobWriter _writer;
    private readonly BlockingCollection<Segment> _toHash = new(Buffers);
    private readonly BlockingCollection<Segment> _toChunk = new(Buffers);
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly SemaphoreSlim _freeCount = new(0, Buffers);
    private readonly TaskCompletionSource _hashDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _chunkDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ExceptionDispatchInfo? _failure;

    private IngestPipeline(BlobWriter writer) => _writer = writer;

    /// <summary>Reads <paramref name="source"/> (up to <paramref name="maxBytes"/>) into <paramref name="writer"/>.</summary>
    public static async Task<StreamAppend> RunAsync(BlobWriter writer, Stream source, long? maxBytes, CancellationToken ct)
    {
        var first = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var want = Want(maxBytes, 0);
            var (filled, error) = await FillAsync(source, first, want, ct);
            if (Ended(filled, want, error, maxBytes, filled))
            {
                // A short body: no threads to start.
                if (filled > 0)
                {
                    await writer.AppendAsync(first.AsMemory(0, filled));
                }
                return new StreamAppend(filled, error);
            }
            var pipeline = new IngestPipeline(writer);
            var buffer = first;
            first = null;
            return await pipeline.RunAsync(source, buffer, filled, maxBytes, ct);
        }
        finally
        {
            if (first is not null)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    private async Task<StreamAppend> RunAsync(Stream source, byte[] firstBuffer, int firstFilled, long? maxBytes, CancellationToken ct)
    {
        var rented = new List<byte[]>(Buffers) { firstBuffer };
        for (var i = 1; i < Buffers; i++)
        {
            var b = ArrayPool<byte>.Shared.Rent(BufferSize);
            rented.Add(b);
            ReturnBuffer(b);
        }
        StartThread("arca-ingest-hash", _toHash, s => _writer.HashWhole(s), _hashDone);
        StartThread("arca-ingest-chunk", _toChunk, s => _writer.ChunkAndStore(s), _chunkDone);

        long total = firstFilled;
        Exception? sourceError = null;
        try
        {
            Publish(firstBuffer, firstFilled);
            while (_failure is null)
            {
                await _freeCount.WaitAsync(CancellationToken.None); // buffers always come back: the stages never stop
                _free.TryDequeue(out var buffer);
                var want = Want(maxBytes, total);
                (var filled, sourceError) = await FillAsync(source, buffer!, want, ct);
                total += filled;
                if (filled > 0)
                {
                    Publish(buffer!, filled);
                }
                else
                {
                    ReturnBuffer(buffer!);
                }
                if (Ended(filled, want, sourceError, maxBytes, total))
                {
                    break;
                }
            }
        }
        finally
        {
            _toHash.CompleteAdding();
            _toChunk.CompleteAdding();
            await Task.WhenAll(_hashDone.Task, _chunkDone.Task);
            foreach (var b in rented)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
            _toHash.Dispose();
            _toChunk.Dispose();
            _freeCount.Dispose();
        }
        _failure?.Throw();
        _writer.AddLength(total);
        return new StreamAppend(total, sourceError);
    }

    private static int Want(long? maxBytes, long total) =>
        maxBytes is { } m ? (int)Math.Min(BufferSize, m - total) : BufferSize;

    private static bool Ended(int filled, int want, Exception? error, long? maxBytes, long total) =>
        error is not null || filled < want || maxBytes is { } limit && total >= limit;

    private void Publish(byte[] buffer, int length)
    {
        var segment = new Segment(this, buffer, length);
        _toHash.Add(segment);
        _toChunk.Add(segment);
    }

    private void ReturnBuffer(byte[] buffer)
    {
        _free.Enqueue(buffer);
        _freeCount.Release();
    }

    private void StartThread(string name, BlockingCollection<Segment> queue, SpanAction work, TaskCompletionSource done)
    {
        var thread = new Thread(() =>
        {
            foreach (var segment in queue.GetConsumingEnumerable())
            {
                if (_failure is null)
                {
                    try
                    {
                        work(segment.Buffer.AsSpan(0, segment.Length));
                    }
                    catch (Exception e)
                    {
                        // Kept and rethrown to the caller; this stage only releases buffers from now on.
                        _failure ??= ExceptionDispatchInfo.Capture(e);
                    }
                }
                segment.Release();
            }
            done.SetResult();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
    }

    /// <summary>Reads until the buffer holds <paramref name="count"/> bytes or the stream ends; a read error comes back with what was read.</summary>
    private static async Task<(int Filled, Exception? Error)> FillAsync(Stream source, byte[] buffer, int count, CancellationToken ct)
    {
        var filled = 0;
        try
        {
            while (filled < count)
            {
                var n = await source.ReadAsync(buffer.AsMemory(filled, count - filled), ct);
                if (n == 0)
                {
                    break;
                }
                filled += n;
            }
            return (filled, null);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return (filled, e);
        }
    }

    private delegate void SpanAction(ReadOnlySpan<byte> bytes);

    private sealed class Segment(IngestPipeline owner, byte[] buffer, int length)
    {
        private int _users = 2;

        public byte[] Buffer => buffer;

        public int Length => length;

        public void Release()
        {
            if (Interlocked.Decrement(ref _users) == 0)
            {
                owner.ReturnBuffer(buffer);
            }
        }
    }
}
