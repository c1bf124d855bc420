using System.Collections.Concurrent;
using System.Numerics;
using FASTER.core;

namespace Arca.Storage.Index;

/// <summary>
/// The chunk index in FASTER KV: blittable 32-byte keys and 16-byte values on the hybrid log, fold-over (incremental)
/// checkpoints in <c>chunks/index/checkpoints</c>, recovered on open. FASTER sessions are single-threaded, so a small
/// pool of them serves concurrent callers.
/// </summary>
/// <remarks>
/// Sizing, measured by <c>perf/Arca.Benchmarks</c> (IndexBenchmarks, <c>perf/results/index.md</c>): a record is 56 bytes
/// on the log. Records in the log's memory are found in well under a microsecond; one that had been evicted to the
/// log file costs a pending read (about 10 µs here, through the page cache), which resolving a 100 GB blob's layout
/// pays 100,000 times. So the log keeps up to <c>memoryBytes</c> of records in memory (default 1 GiB, about 19 M
/// chunks, 19 TB at the default 1 MiB average; only what the index holds is allocated). The hash table is sized for the
/// entries the store is expected to hold (about four per 64-byte bucket) when the store is opened, and doubled before a
/// checkpoint once it holds twice that: an overfull table scans long overflow chains on every lookup, found or not.
/// </remarks>
public sealed class FasterChunkIndex : IChunkIndex
{
    /// <summary>Default in-memory log budget (<c>storage.index_memory_bytes</c>).</summary>
    public const long DefaultMemoryBytes = 1L << 30;

    private const int PageSizeBits = 20;
    private const long MinBuckets = 1L << 16; // 4 MiB of hash buckets
    private const long MaxBuckets = 1L << 24; // 1 GiB of hash buckets: 64 M chunks at four per bucket
    private const int EntriesPerBucket = 4;

    private readonly FasterKV<ChunkDigest, ChunkLocation> _store;
    private readonly IDevice _log;
    private readonly ConcurrentBag<ClientSession<ChunkDigest, ChunkLocation, ChunkLocation, ChunkLocation, Empty, SimpleFunctions<ChunkDigest, ChunkLocation>>> _sessions = [];
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly int _memoryBits;
    private long _entries;

    private FasterChunkIndex(string directory, bool recover, long memoryBytes, long expectedEntries)
    {
        Directory.CreateDirectory(directory);
        var checkpoints = Path.Combine(directory, "checkpoints");
        recover &= Directory.Exists(checkpoints);
        var buckets = BucketsFor(expectedEntries);
        _memoryBits = MemoryBits(memoryBytes);
        _log = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: false);
        _store = new FasterKV<ChunkDigest, ChunkLocation>(
            recover ? MinBuckets : buckets, // a recovered table keeps the size it was checkpointed with
            new LogSettings { LogDevice = _log, MemorySizeBits = _memoryBits, PageSizeBits = PageSizeBits, SegmentSizeBits = 28 },
            new CheckpointSettings { CheckpointDir = checkpoints, RemoveOutdated = true },
            comparer: ChunkDigestComparer.Instance);
        if (recover)
        {
            try
            {
                _store.Recover();
                Recovered = true;
            }
            catch (FasterException)
            {
                // No complete checkpoint: start empty; ChunkStore re-indexes from the packs.
            }
        }
        _entries = expectedEntries;
        var grown = false;
        while (_store.IndexSize < buckets && _store.GrowIndex())
        {
            grown = true;
        }
        if (grown)
        {
            CheckpointAsync().GetAwaiter().GetResult(); // FASTER: checkpoint after growing, or recovery finds the old size
        }
    }

    /// <summary>Whether a checkpoint was found and loaded.</summary>
    public bool Recovered { get; }

    /// <summary>Hash buckets (64 bytes each).</summary>
    public long Buckets => _store.IndexSize;

    /// <summary>About how many chunks the index holds (the packs' estimate at open, plus puts, minus deletes).</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>The log's in-memory budget, in bytes (a power of two).</summary>
    public long MemoryBudgetBytes => 1L << _memoryBits;

    /// <summary>True once records were evicted from the log's memory to its file: a lookup may then wait for a read.</summary>
    public bool LookupsMayWait => _store.Log.HeadAddress > _store.Log.BeginAddress;

    /// <summary>New entries between checkpoints: each checkpoint also writes the hash table, so a big table waits longer.</summary>
    public int EntriesPerCheckpoint => (int)Math.Max(4096, _store.IndexSize / 16);

    /// <param name="memoryBytes">How much of the log stays in memory (rounded down to a power of two).</param>
    /// <param name="expectedEntries">Chunks the store is expected to hold: sizes the hash table (grown at open).</param>
    public static FasterChunkIndex Open(string directory, long memoryBytes = DefaultMemoryBytes, long expectedEntries = 0) =>
        new(directory, recover: true, memoryBytes, expectedEntries);

    /// <summary>Deletes any existing index and starts empty (for <c>arca index rebuild</c>).</summary>
    public static FasterChunkIndex CreateEmpty(string directory, long memoryBytes = DefaultMemoryBytes, long expectedEntries = 0)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        return new FasterChunkIndex(directory, recover: false, memoryBytes, expectedEntries);
    }

    internal static int MemoryBits(long memoryBytes) =>
        Math.Clamp(63 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, memoryBytes)), PageSizeBits + 2, 40);

    internal static long BucketsFor(long expectedEntries) =>
        Math.Clamp((long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, expectedEntries / EntriesPerBucket)), MinBuckets, MaxBuckets);

    public bool TryGet(in ChunkDigest digest, out ChunkLocation location)
    {
        var session = Rent();
        try
        {
            var key = digest;
            location = default;
            var status = session.Read(ref key, ref location);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        status = outputs.Current.Status;
                        location = outputs.Current.Output;
                    }
                }
            }
            return status.Found;
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    public void Put(in ChunkDigest digest, in ChunkLocation location)
    {
        var session = Rent();
        try
        {
            var key = digest;
            var value = location;
            var status = session.Upsert(ref key, ref value);
            Interlocked.Increment(ref _entries); // callers put chunks the index lacks
            if (status.IsPending)
            {
                session.CompletePending(wait: true);
            }
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    public void Delete(in ChunkDigest digest)
    {
        var session = Rent();
        try
        {
            var key = digest;
            if (session.Delete(ref key).IsPending)
            {
                session.CompletePending(wait: true);
            }
            Interlocked.Decrement(ref _entries);
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    /// <summary>
    /// Makes every Put so far durable. First doubles the hash table while it holds more than twice the entries it was
    /// sized for (on a pool thread: a doubling of a big table takes a fraction of a second; lookups go on meanwhile).
    /// </summary>
    public async Task CheckpointAsync()
    {
        await _checkpointGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Interlocked.Read(ref _entries) > _store.IndexSize * EntriesPerBucket * 2 && _store.IndexSize < MaxBuckets)
            {
                await Task.Run(() =>
                {
                    while (Interlocked.Read(ref _entries) > _store.IndexSize * EntriesPerBucket && _store.IndexSize < MaxBuckets
                        && _store.GrowIndex())
                    {
                    }
                }).ConfigureAwait(false);
            }
            await _store.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    private ClientSession<ChunkDigest, ChunkLocation, ChunkLocation, ChunkLocation, Empty, SimpleFunctions<ChunkDigest, ChunkLocation>> Rent() =>
        _sessions.TryTake(out var s) ? s : _store.For(new SimpleFunctions<ChunkDigest, ChunkLocation>()).NewSession<SimpleFunctions<ChunkDigest, ChunkLocation>>();

    public async ValueTask DisposeAsync()
    {
        await CheckpointAsync().ConfigureAwait(false);
        while (_sessions.TryTake(out var s))
        {
            s.Dispose();
        }
        _store.Dispose();
        _log.Dispose();
        _checkpointGate.Dispose();
    }
}
