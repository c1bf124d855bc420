using Arca.Server.Tier;

namespace Arca.Server.Tests;

/// <summary>
/// The waiters of one chunk fetch at a tier (the data plane's responses): released inline, every one exactly once, and
/// starting with a different one from chunk to chunk, so no downstream flow is always first onto a shared link.
/// </summary>
public sealed class ChunkFetchTests
{
    private const int Waiters = 4;

    [Fact]
    public void Each_completion_releases_every_waiter_once_in_a_rotated_order_on_the_completing_thread()
    {
        var firsts = new HashSet<int>();
        for (var fetch = 0; fetch < 2 * Waiters; fetch++)
        {
            var chunk = new ChunkFetcher.ChunkFetch();
            var released = new List<int>();
            var threads = new List<int>();
            for (var w = 0; w < Waiters; w++)
            {
                var index = w;
                chunk.Join().ContinueWith(_ =>
                {
                    released.Add(index);
                    threads.Add(Environment.CurrentManagedThreadId);
                }, TaskContinuationOptions.ExecuteSynchronously);
            }

            chunk.TrySetResult();

            Assert.Equal(Waiters, released.Count);
            Assert.Equal(Enumerable.Range(0, Waiters), released.Order());
            var first = released[0];
            Assert.Equal(Enumerable.Range(0, Waiters).Select(i => (first + i) % Waiters), released); // the arrival order, rotated
            Assert.All(threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
            firsts.Add(first);
        }
        // Arrival order would put waiter 0 first every time.
        Assert.True(firsts.Count >= 2, $"the first waiter released was always {string.Join(",", firsts)}");
    }

    [Fact]
    public async Task A_failed_fetch_faults_every_waiter_and_whoever_joins_later_and_a_second_outcome_is_ignored()
    {
        var chunk = new ChunkFetcher.ChunkFetch();
        var joined = Enumerable.Range(0, Waiters).Select(_ => chunk.Join()).ToList();
        var error = new TimeoutException("chunk could not be fetched");

        chunk.TrySetException(error);
        chunk.TrySetResult();

        foreach (var task in joined.Append(chunk.Join()))
        {
            Assert.Same(error, await Assert.ThrowsAsync<TimeoutException>(() => task));
        }
    }

    [Fact]
    public void A_join_after_success_is_complete_at_once()
    {
        var chunk = new ChunkFetcher.ChunkFetch();
        var early = chunk.Join();
        Assert.False(early.IsCompleted);

        chunk.TrySetResult();

        Assert.True(early.IsCompletedSuccessfully);
        Assert.True(chunk.Join().IsCompletedSuccessfully);
    }
}
