using Arca.Storage;
using Arca.Storage.Index;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Arca.Benchmarks;

/// <summary>
/// The chunk index (FASTER, as the server configures it) holding <see cref="Entries"/> chunks: lookups of stored
/// chunks in random order (the worst case: every lookup lands somewhere else in the log), of absent chunks (the
/// dedup check of new data) and in recipe order (what resolving a blob's layout does: chunks written together sit
/// together in the log). One operation is one lookup.
/// </summary>
[Config(typeof(Config))]
public class IndexBenchmarks
{
    private const int Lookups = 100_000;

    private string _dir = "";
    private FasterChunkIndex? _index;
    private ChunkDigest[] _randomHits = [];
    private ChunkDigest[] _misses = [];
    private ChunkDigest[] _recipeOrder = [];

    /// <summary>Chunks in the index: 1 M is a 1 TB store at the default 1 MiB average chunk, 10 M a 10 TB one.</summary>
    [Params(1_000_000, 10_000_000)]
    public int Entries { get; set; }

    /// <summary>
    /// True: the hash table sized for <see cref="Entries"/>, as the chunk store opens it (from its packs' size).
    /// False: opened empty with the smallest table (65,536 buckets), as a store that grew that large since its last
    /// start; the checkpoint after the inserts doubles the table while it holds more than eight entries per bucket.
    /// </summary>
    [Params(true, false)]
    public bool SizedTable { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "arca-index-bench-" + Environment.ProcessId);
        _index = FasterChunkIndex.CreateEmpty(_dir, expectedEntries: SizedTable ? Entries : 0);
        var random = new Random(42);
        Span<byte> bytes = stackalloc byte[ChunkDigest.Size];
        var all = new ChunkDigest[Entries];
        for (int i = 0; i < Entries; i++)
        {
            random.NextBytes(bytes);
            all[i] = new ChunkDigest(bytes);
            // Packs of 1 GiB holding 1 MiB chunks: about 1024 chunks per pack, written in order.
            _index.Put(all[i], new ChunkLocation(i / 1024, 1 << 20, (long)(i % 1024) << 20));
        }
        _index.CheckpointAsync().GetAwaiter().GetResult();
        _randomHits = [.. Enumerable.Range(0, Lookups).Select(_ => all[random.Next(Entries)])];
        _recipeOrder = all[(Entries / 2)..(Entries / 2 + Lookups)];
        _misses = new ChunkDigest[Lookups];
        for (int i = 0; i < Lookups; i++)
        {
            random.NextBytes(bytes);
            _misses[i] = new ChunkDigest(bytes);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _index?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lookups, Description = "TryGet, stored, random order")]
    public int HitRandom() => LookUp(_randomHits);

    [Benchmark(OperationsPerInvoke = Lookups, Description = "TryGet, stored, recipe order")]
    public int HitRecipeOrder() => LookUp(_recipeOrder);

    [Benchmark(OperationsPerInvoke = Lookups, Description = "TryGet, absent")]
    public int Miss() => LookUp(_misses);

    private int LookUp(ChunkDigest[] keys)
    {
        int found = 0;
        foreach (var key in keys)
        {
            if (_index!.TryGet(key, out _))
            {
                found++;
            }
        }
        return found;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.Min, new OperationsPerSecondColumn());
    }
}
