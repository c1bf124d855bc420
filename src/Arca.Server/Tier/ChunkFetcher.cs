using System.Buffers;
using System.Collections.Concurrent;
using Arca.Storage;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Tier;

/// <summary>
/// Gets missing chunks from upstream: any number of concurrent requests for one chunk share a single fetch
/// (coalescing); every chunk is verified against its digest before it is stored or served, and a bad one is
/// discarded and fetched again with a repair request (the upstream re-checks its own copy). Fetches retry with
/// backoff until the fill timeout; at most <c>tier.fetch_concurrency</c> run at once, each on its own connection, so
/// one stalled connection does not hold up the others.
/// </summary>
public sealed partial class ChunkFetcher(TierChunkCache cache, Upstream upstream, TierCounters counters, int concurrency,
    TimeSpan fillTimeout, TimeProvider time, ILogger log) : IDisposable
{
    private readonly ConcurrentDictionary<ChunkDigest, ChunkFetch> _inflight = new();
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>No byte of a ranged run for this long: the stream is abandoned and its chunks fetched one by one.</summary>
    private static readonly TimeSpan RunStallTimeout = TimeSpan.FromSeconds(10);

    public TimeSpan FillTimeout => fillTimeout;

    /// <summary>Whether a fetch of the chunk is under way.</summary>
    public bool IsFetching(in ChunkDigest digest) => _inflight.ContainsKey(digest);

    /// <summary>
    /// Starts fetching the missing chunks of <paramref name="blob"/> from chunk <paramref name="from"/> on, at most
    /// <paramref name="count"/> of them, as ONE ranged stream of the blob from the upstream: chunks arrive in order, each
    /// verified and stored the moment its last byte is in, so a sequential reader waits for one chunk, not for a batch
    /// sharing the link (and the upstream, a tier itself, streams the range as it fills). Chunks already held or being
    /// fetched end the run. A chunk that fails verification, or the rest of a run whose stream breaks, falls back to
    /// single-chunk fetches with retries. Returns when the run has ended (its chunks held or handed on).
    /// </summary>
    public Task StartRun(TierBlob blob, int from, int count)
    {
        var claimed = new List<(int Index, ChunkFetch Done)>();
        var end = Math.Min(blob.Chunks.Length, from + count);
        for (var i = from; i < end; i++)
        {
            var digest = blob.Chunks[i];
            if (cache.Contains(digest) || _inflight.ContainsKey(digest))
            {
                if (claimed.Count > 0)
                {
                    break;
                }
                continue; // skip a held or in-flight prefix; the run starts at the first chunk nobody is fetching
            }
            var done = new ChunkFetch();
            if (!_inflight.TryAdd(digest, done))
            {
                break;
            }
            claimed.Add((i, done));
        }
        return claimed.Count == 0 ? Task.CompletedTask : Task.Run(() => RunAsync(blob, claimed));
    }

    private async Task RunAsync(TierBlob blob, List<(int Index, ChunkFetch Done)> claimed)
    {
        var next = 0;
        await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
        byte[]? buffer = null;
        try
        {
            var first = blob.Starts[claimed[0].Index];
            var lastIndex = claimed[^1].Index;
            var last = blob.Starts[lastIndex] + blob.Lengths[lastIndex] - 1;
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            stall.CancelAfter(RunStallTimeout);
            var (response, body) = await upstream.OpenRangeAsync(blob.Digest, first, last, stall.Token).ConfigureAwait(false);
            using (response)
            await using (body)
            {
                buffer = ArrayPool<byte>.Shared.Rent(blob.Lengths.Max());
                for (; next < claimed.Count; next++)
                {
                    var (index, done) = claimed[next];
                    var length = blob.Lengths[index];
                    var read = 0;
                    while (read < length)
                    {
                        var n = await body.ReadAsync(buffer.AsMemory(read, length - read), stall.Token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            throw new UpstreamException($"the range of {blob.Digest} ended early");
                        }
                        read += n;
                        stall.CancelAfter(RunStallTimeout);
                    }
                    var digest = blob.Chunks[index];
                    if (!TryStore(digest, buffer.AsSpan(0, length)))
                    {
                        _ = Task.Run(() => FetchAsync(digest, repair: true, done)); // the stream stays aligned: go on
                        continue;
                    }
                    _inflight.TryRemove(digest, out _);
                    done.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is UpstreamException or HttpRequestException or IOException or OperationCanceledException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                counters.UpstreamError();
                Log.RunBroken(log, blob.Digest, next, claimed.Count, e.Message);
            }
        }
        finally
        {
            _slots.Release();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            // Whatever the run did not deliver is fetched chunk by chunk (with retries and the fill timeout).
            for (; next < claimed.Count; next++)
            {
                var (index, done) = claimed[next];
                var digest = blob.Chunks[index];
                _ = Task.Run(() => FetchAsync(digest, repair: false, done));
            }
        }
    }

    /// <summary>
    /// One chunk's fetch and whoever waits for it. The waiters run inline, on the thread that stored the chunk: they
    /// are the data plane's responses waiting for exactly this chunk, and each only pins it and hands it to a
    /// non-blocking sendfile(2) before it waits again (queuing them to the thread pool instead cost a wake-up per
    /// response per chunk, several milliseconds each on a busy machine, on the path of every cut-through byte).
    /// Each chunk releases them starting with a different one: the first to be released puts its bytes on a shared
    /// link first, so a fixed order (that of the requests' arrival) would keep the same downstream tier ahead at
    /// every chunk, and its TCP flow ahead of the others' for as long as they all wait at the fill's frontier.
    /// </summary>
    internal sealed class ChunkFetch
    {
        private static uint s_rotation;
        private readonly Lock _lock = new();
        private List<TaskCompletionSource>? _waiters = [];
        private Task? _outcome;

        /// <summary>Completes when the fetch does (faults as it does); inline, as described above.</summary>
        public Task Join()
        {
            lock (_lock)
            {
                if (_waiters is not null)
                {
                    var waiter = new TaskCompletionSource(TaskCreationOptions.None);
                    _waiters.Add(waiter);
                    return waiter.Task;
                }
                return _outcome!;
            }
        }

        public void TrySetResult() => Complete(null);

        public void TrySetException(Exception error) => Complete(error);

        private void Complete(Exception? error)
        {
            List<TaskCompletionSource>? waiters;
            lock (_lock)
            {
                waiters = _waiters;
                if (waiters is null)
                {
                    return;
                }
                _waiters = null;
                _outcome = error is null ? Task.CompletedTask : Task.FromException(error);
            }
            var count = waiters.Count;
            var first = count > 1 ? (int)(Interlocked.Increment(ref s_rotation) % (uint)count) : 0;
            for (var i = 0; i < count; i++)
            {
                var waiter = waiters[(first + i) % count];
                if (error is null)
                {
                    waiter.TrySetResult();
                }
                else
                {
                    waiter.TrySetException(error);
                }
            }
        }
    }

    /// <summary>Completes once the chunk is held (verified); faults if it could not be had within the fill timeout.</summary>
    /// <param name="countWait">Whether joining a running fetch counts as a coalesced wait (read-ahead kicks do not).</param>
    public Task EnsureAsync(ChunkDigest digest, bool repair = false, bool countWait = true)
    {
        if (!repair && cache.Contains(digest))
        {
            return Task.CompletedTask;
        }
        while (true)
        {
            if (_inflight.TryGetValue(digest, out var running))
            {
                if (countWait)
                {
                    counters.CoalescedWait();
                }
                return running.Join();
            }
            var done = new ChunkFetch();
            if (_inflight.TryAdd(digest, done))
            {
                if (!repair && cache.Contains(digest))
                {
                    // Stored between the check above and the claim.
                    _inflight.TryRemove(digest, out _);
                    done.TrySetResult();
                    return Task.CompletedTask;
                }
                var joined = done.Join();
                _ = Task.Run(() => FetchAsync(digest, repair, done));
                return joined;
            }
        }
    }

    private async Task FetchAsync(ChunkDigest digest, bool repair, ChunkFetch done)
    {
        var deadline = time.GetUtcNow() + fillTimeout;
        var attempt = 0;
        Exception? last = null;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
                byte[]? buffer = null;
                try
                {
                    (buffer, var length) = await upstream.FetchChunkAsync(digest, repair, _stopping.Token).ConfigureAwait(false);
                    if (TryStore(digest, buffer.AsSpan(0, length)))
                    {
                        done.TrySetResult();
                        return;
                    }
                    repair = true; // ask the upstream to check and replace its copy
                    last = new InvalidDataException($"chunk {digest} from upstream failed verification");
                }
                catch (UpstreamException e) when (e.NotFound)
                {
                    done.TrySetException(new KeyNotFoundException($"chunk {digest} is not held upstream", e));
                    return;
                }
                catch (UpstreamException e)
                {
                    counters.UpstreamError();
                    last = e;
                    if (attempt == 0)
                    {
                        Log.FetchFailed(log, digest.ToString(), e.Message);
                    }
                }
                finally
                {
                    _slots.Release();
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 50 * (1 << Math.Min(attempt++, 6))));
                if (time.GetUtcNow() + backoff > deadline)
                {
                    break;
                }
                await Task.Delay(backoff, time, _stopping.Token).ConfigureAwait(false);
            }
            done.TrySetException(new TimeoutException(
                $"chunk {digest} could not be fetched from {upstream.ControlUrl} within {fillTimeout.TotalSeconds:0} s: {last?.Message}", last));
        }
        catch (OperationCanceledException)
        {
            done.TrySetException(new OperationCanceledException("the server is stopping"));
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
        finally
        {
            _inflight.TryRemove(digest, out _);
        }
    }

    /// <summary>Stores the chunk if its bytes match its digest; a mismatch is counted and logged, and nothing is stored.</summary>
    private bool TryStore(in ChunkDigest digest, ReadOnlySpan<byte> bytes)
    {
        if (ChunkDigest.Of(bytes) != digest)
        {
            counters.VerificationFailure();
            Log.BadChunk(log, digest.ToString(), upstream.ControlUrl);
            return false;
        }
        cache.Put(digest, bytes);
        counters.Fetched(bytes.Length);
        return true;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.FetchBadChunk, Level = LogLevel.Warning, Message = "chunk {Digest} from {Upstream} failed verification: discarded, fetching again (repair)")]
        public static partial void BadChunk(ILogger logger, string digest, string upstream);

        [LoggerMessage(EventId = LogEvents.RunBroken, Level = LogLevel.Warning,
            Message = "the ranged fetch of {Blob} stopped after {Done} of {Count} chunks ({Reason}); fetching the rest chunk by chunk")]
        public static partial void RunBroken(ILogger logger, string blob, int done, int count, string reason);

        [LoggerMessage(EventId = LogEvents.FetchFailed, Level = LogLevel.Warning, Message = "fetching chunk {Digest} failed ({Reason}); retrying with backoff")]
        public static partial void FetchFailed(ILogger logger, string digest, string reason);
    }
}
