using Arca.Server.Api;

namespace Arca.Server.Tier;

/// <summary>What a seeder or edge counts (exposed by <c>/v1/tier/status</c> and <c>/metrics</c>).</summary>
public sealed class TierCounters
{
    private long _bytesFetched;
    private long _upstreamFetches;
    private long _coalescedWaits;
    private long _verificationFailures;
    private long _evictions;
    private long _evictedBytes;
    private long _hits;
    private long _misses;
    private long _upstreamErrors;
    private long _staleResolves;

    public void Fetched(long bytes)
    {
        Interlocked.Increment(ref _upstreamFetches);
        Interlocked.Add(ref _bytesFetched, bytes);
    }

    public void CoalescedWait() => Interlocked.Increment(ref _coalescedWaits);

    public void VerificationFailure() => Interlocked.Increment(ref _verificationFailures);

    public void Evicted(long chunks, long bytes)
    {
        Interlocked.Add(ref _evictions, chunks);
        Interlocked.Add(ref _evictedBytes, bytes);
    }

    public void Hit() => Interlocked.Increment(ref _hits);

    public void Miss() => Interlocked.Increment(ref _misses);

    public void UpstreamError() => Interlocked.Increment(ref _upstreamErrors);

    public void StaleResolve() => Interlocked.Increment(ref _staleResolves);

    public TierCountersView View(long bytesServed)
    {
        var hits = Interlocked.Read(ref _hits);
        var misses = Interlocked.Read(ref _misses);
        return new TierCountersView(bytesServed, Interlocked.Read(ref _bytesFetched), Interlocked.Read(ref _upstreamFetches),
            Interlocked.Read(ref _coalescedWaits), Interlocked.Read(ref _verificationFailures), Interlocked.Read(ref _evictions),
            Interlocked.Read(ref _evictedBytes), hits, misses, hits + misses == 0 ? 0 : Math.Round((double)hits / (hits + misses), 4),
            Interlocked.Read(ref _upstreamErrors), Interlocked.Read(ref _staleResolves));
    }
}
