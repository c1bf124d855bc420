using System.Globalization;
using Arca.Storage.Chunking;
using Arca.Storage.Index;
using Arca.Storage.Native;
using Arca.Storage.Shards;
using Microsoft.Win32.SafeHandles;

namespace Arca.Storage.Blobs;

/// <summary>
/// The content-addressed chunk store: packs of chunk bytes plus the FASTER index over them. Knows nothing of blobs'
/// names or HTTP; the server keeps blob records (digest, size, recipe) in the metadata database.
/// </summary>
public sealed class ChunkStore : IAsyncDisposable
{
    private readonly FastCdc _cdc;
    private readonly FileStream _lock;
    private long _unCheckpointed;

    private ChunkStore(ChunkStoreOptions options, IChunkIndex index, ShardStore shards, long reindexed, FileStream lockFile)
    {
        _lock = lockFile;
        Options = options;
        Index = index;
        Shards = shards;
        Reindexed = reindexed;
        _cdc = new FastCdc(options.Chunker);
    }

    public ChunkStoreOptions Options { get; }

    public IChunkIndex Index { get; }

    public ShardStore Shards { get; }

    /// <summary>Index entries restored from pack headers at open (writes after the last index checkpoint).</summary>
    public long Reindexed { get; }

    /// <summary>Pack entries whose segment headers were read at open (all of them after a crash, few after a clean stop).</summary>
    public long Scanned { get; private init; }

    /// <summary>Written at a clean stop, after the final index checkpoint; consumed (deleted) by the next open.</summary>
    private static string IndexedEndsPath(ChunkStoreOptions options) => Path.Combine(options.IndexDir, "indexed-ends");

    /// <summary>
    /// Reads and deletes the indexed ends of the last clean stop. Deleted before anything is written, durably, so a
    /// crash of this run makes the next open scan every pack again.
    /// </summary>
    private static Dictionary<int, long>? TakeIndexedEnds(ChunkStoreOptions options)
    {
        var path = IndexedEndsPath(options);
        if (!File.Exists(path))
        {
            return null;
        }
        Dictionary<int, long>? ends = [];
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
            {
                ends = null; // not ours, or damaged: scan everything
                break;
            }
            ends[id] = end;
        }
        File.Delete(path);
        LibC.SyncDirectory(options.IndexDir);
        return ends;
    }

    private void RecordIndexedEnds(Dictionary<int, long> ends)
    {
        var path = IndexedEndsPath(Options);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            using (var writer = new StreamWriter(file, leaveOpen: true))
            {
                foreach (var (id, end) in ends.OrderBy(e => e.Key))
                {
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"{id} {end}\n"));
                }
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        LibC.SyncDirectory(Options.IndexDir);
    }

    /// <summary>
    /// Opens the store: recovers the index checkpoint, then re-indexes pack entries the checkpoint lacks. After a clean
    /// stop only what lies past the packs' indexed ends recorded then is read (nothing, usually); after a crash every
    /// pack's segment headers are.
    /// </summary>
    public static ChunkStore Open(ChunkStoreOptions options)
    {
        options.Chunker.Validate();
        var lockFile = TakeLock(options);
        var indexedEnds = TakeIndexedEnds(options);
        var index = FasterChunkIndex.Open(options.IndexDir, options.IndexMemoryBytes, ExpectedChunks(options));
        return Attach(options, index, lockFile, indexedEnds: index.Recovered ? indexedEnds : null);
    }

    /// <summary>
    /// Discards the index and rebuilds it from the packs' segment headers alone. With <paramref name="verify"/>, every
    /// chunk is read back and re-hashed, and one whose bytes do not match its digest is left out (and counted).
    /// </summary>
    /// <param name="observe">Sees every chunk indexed (a cache builds its per-pack bookkeeping from it).</param>
    public static ChunkStore Rebuild(ChunkStoreOptions options, bool verify, out long corrupt,
        Action<ChunkDigest, ChunkLocation>? observe = null)
    {
        options.Chunker.Validate();
        var lockFile = TakeLock(options);
        var index = FasterChunkIndex.CreateEmpty(options.IndexDir, options.IndexMemoryBytes, ExpectedChunks(options));
        if (!verify)
        {
            corrupt = 0;
            return Attach(options, index, lockFile, observe: observe);
        }
        long bad = 0;
        var buffer = new byte[options.Chunker.MaxSize];
        var store = Attach(options, index, lockFile, (handle, digest, location) =>
        {
            var span = buffer.AsSpan(0, location.Length);
            if (location.Length <= buffer.Length && RandomAccess.Read(handle, span, location.Offset) == location.Length
                && ChunkDigest.Of(span) == digest)
            {
                return true;
            }
            bad++;
            return false;
        }, observe);
        corrupt = bad;
        return store;
    }

    /// <summary>About how many chunks the packs hold (their bytes over the average chunk size): sizes the index's hash table.</summary>
    private static long ExpectedChunks(ChunkStoreOptions options) =>
        System.IO.Directory.Exists(options.ShardDir)
            ? System.IO.Directory.EnumerateFiles(options.ShardDir, "*.pack").Sum(p => new FileInfo(p).Length) / options.Chunker.AvgSize
            : 0;

    /// <summary>One process per data directory: a second server or an offline rebuild fails fast instead of corrupting.</summary>
    private static FileStream TakeLock(ChunkStoreOptions options)
    {
        var dir = Path.Combine(options.DataDir, "chunks");
        System.IO.Directory.CreateDirectory(dir);
        try
        {
            return new FileStream(Path.Combine(dir, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{options.DataDir} is in use by another arca process ({e.Message})", e);
        }
    }

    private static ChunkStore Attach(ChunkStoreOptions options, IChunkIndex index, FileStream lockFile,
        Func<SafeFileHandle, ChunkDigest, ChunkLocation, bool>? verify = null, Action<ChunkDigest, ChunkLocation>? observe = null,
        IReadOnlyDictionary<int, long>? indexedEnds = null)
    {
        long reindexed = 0;
        long scanned = 0;
        var shards = ShardStore.Open(options.ShardDir, options.PackSealBytes, verify, (digest, location) =>
        {
            scanned++;
            // Index entries are written only after their segment is durable, so an entry the index already has
            // is never stale; entries it lacks were written after its last checkpoint.
            if (!index.TryGet(digest, out _))
            {
                index.Put(digest, location);
                reindexed++;
                observe?.Invoke(digest, location);
            }
        }, indexedEnds);
        var store = new ChunkStore(options, index, shards, reindexed, lockFile) { Scanned = scanned };
        if (reindexed > 0)
        {
            index.CheckpointAsync().GetAwaiter().GetResult();
        }
        return store;
    }

    /// <summary>Starts writing a blob.</summary>
    public BlobWriter OpenWriter() => new(this, _cdc);

    public bool Contains(in ChunkDigest digest) => Index.TryGet(digest, out _);

    public bool TryLocate(in ChunkDigest digest, out ChunkLocation location) => Index.TryGet(digest, out location);

    /// <summary>Whether <see cref="TryLocate"/> may wait for a disk read (the index outgrew <c>storage.index_memory_bytes</c>).</summary>
    public bool LookupsMayWait => Index.LookupsMayWait;

    /// <summary>The pack handle for sendfile or positional reads.</summary>
    public SafeFileHandle? PackHandle(int pack) => Shards.Handle(pack);

    /// <summary>
    /// The file extents holding a blob's bytes in order, adjacent chunks coalesced (usually one extent per segment).
    /// Null if a chunk is missing.
    /// </summary>
    public List<(SafeFileHandle File, long Offset, long Length)>? Extents(IReadOnlyList<ChunkRef> recipe)
    {
        var extents = new List<(SafeFileHandle File, long Offset, long Length)>();
        int lastPack = -1;
        foreach (var chunk in recipe)
        {
            if (!Index.TryGet(chunk.Digest, out var l) || Shards.Handle(l.Pack) is not { } handle)
            {
                return null;
            }
            if (extents.Count > 0 && lastPack == l.Pack && extents[^1].Offset + extents[^1].Length == l.Offset)
            {
                var last = extents[^1];
                extents[^1] = (last.File, last.Offset, last.Length + l.Length);
            }
            else
            {
                extents.Add((handle, l.Offset, l.Length));
            }
            lastPack = l.Pack;
        }
        return extents;
    }

    internal void NoteIndexed(int count)
    {
        var every = Index.EntriesPerCheckpoint;
        if (Interlocked.Add(ref _unCheckpointed, count) > every)
        {
            Interlocked.Exchange(ref _unCheckpointed, 0);
            _ = Index.CheckpointAsync().ContinueWith(
                t => Interlocked.Add(ref _unCheckpointed, every), // retry at the next blob
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Taken before the final checkpoint: every entry below these offsets was put before it started.
        var indexedEnds = Shards.IndexedEnds();
        await Index.DisposeAsync().ConfigureAwait(false);
        RecordIndexedEnds(indexedEnds);
        Shards.Dispose();
        await _lock.DisposeAsync().ConfigureAwait(false);
    }
}
