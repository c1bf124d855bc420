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
    private readonly ConcurrentDictionary<ChunkDigest, Task> _inflight = new();
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    private readonly CancellationTokenSource _stopping = new();

    public TimeSpan FillTimeout => fillTimeout;

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
                return running;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inflight.TryAdd(digest, done.Task))
            {
                if (!repair && cache.Contains(digest))
                {
                    // Stored between the check above and the claim.
                    _inflight.TryRemove(digest, out _);
                    done.SetResult();
                    return done.Task;
                }
                _ = Task.Run(() => FetchAsync(digest, repair, done));
                return done.Task;
            }
        }
    }

    private async Task FetchAsync(ChunkDigest digest, bool repair, TaskCompletionSource done)
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
                    var bytes = buffer.AsSpan(0, length);
                    if (ChunkDigest.Of(bytes) == digest)
                    {
                        cache.Put(digest, bytes);
                        counters.Fetched(length);
                        done.TrySetResult();
                        return;
                    }
                    counters.VerificationFailure();
                    Log.BadChunk(log, digest.ToString(), upstream.ControlUrl);
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

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1410, Level = LogLevel.Warning, Message = "chunk {Digest} from {Upstream} failed verification: discarded, fetching again (repair)")]
        public static partial void BadChunk(ILogger logger, string digest, string upstream);

        [LoggerMessage(EventId = 1411, Level = LogLevel.Warning, Message = "fetching chunk {Digest} failed ({Reason}); retrying with backoff")]
        public static partial void FetchFailed(ILogger logger, string digest, string reason);
    }
}
