using Arca.Storage.Native;
using Microsoft.Win32.SafeHandles;

namespace Arca.Storage.Shards;

/// <summary>
/// The append-only pack files under <c>chunks/shards/</c>. A writer leases a pack exclusively (so its segments are
/// contiguous) and returns it; a pack past the seal size is no longer leased. On open every pack's segment headers
/// are read back, a torn tail left by a crash is truncated, and each valid entry is reported so the chunk index can
/// catch up with writes made after its last checkpoint.
/// </summary>
public sealed class ShardStore : IDisposable
{
    private readonly string _directory;
    private readonly long _sealBytes;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Pack> _packs = [];
    private int _nextId = 1;

    private ShardStore(string directory, long sealBytes)
    {
        _directory = directory;
        _sealBytes = sealBytes;
    }

    public string Directory => _directory;

    /// <summary>
    /// Whether appends are fdatasynced (data before its segment header). A cache turns this off and instead re-verifies
    /// every chunk after an unclean stop (see <c>ChunkStore.Rebuild</c>): its bytes can always be fetched again.
    /// </summary>
    public bool SyncWrites { get; set; } = true;

    /// <summary>The packs now: id, end of valid data, and whether a writer holds it.</summary>
    public List<(int Id, long End, bool Leased)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _packs.Values.Select(p => (p.Id, p.End, p.Leased))];
        }
    }

    /// <summary>
    /// Per pack, the offset below which every segment's entries have been put into the index: the end of an idle pack
    /// (its writers indexed their chunks before returning it), the lease start of a leased one.
    /// </summary>
    public Dictionary<int, long> IndexedEnds()
    {
        lock (_lock)
        {
            return _packs.Values.ToDictionary(p => p.Id, p => p.Leased ? p.LeasedAt : p.End);
        }
    }

    /// <summary>
    /// Removes an idle pack: closes it and deletes its file. The caller must have made sure nothing reads it any more
    /// (a cache forgets its chunks first and evicts only packs no transfer has pinned). False if it is leased or gone.
    /// </summary>
    public bool Retire(int packId)
    {
        Pack? pack;
        lock (_lock)
        {
            if (!_packs.TryGetValue(packId, out pack) || pack.Leased)
            {
                return false;
            }
            _packs.Remove(packId);
        }
        pack.Dispose();
        File.Delete(pack.Path);
        return true;
    }

    /// <summary>Makes every pack's bytes durable (a cache, before it records a clean stop).</summary>
    public void SyncAll()
    {
        lock (_lock)
        {
            foreach (var p in _packs.Values)
            {
                LibC.DataSync(p.Handle, p.Path);
            }
        }
    }

    /// <summary>Opens (and recovers) the packs; <paramref name="onEntry"/> sees every chunk of every valid segment.</summary>
    /// <param name="verify">When set, decides per chunk (re-hashing its bytes) whether it is reported.</param>
    /// <param name="indexedEnds">
    /// Per pack, where the segments the index does not hold yet begin (<see cref="IndexedEnds"/> at the last clean stop):
    /// the scan starts there. A pack not listed, or shorter than its offset, is scanned whole.
    /// </param>
    public static ShardStore Open(string directory, long sealBytes, Func<SafeFileHandle, ChunkDigest, ChunkLocation, bool>? verify,
        Action<ChunkDigest, ChunkLocation> onEntry, IReadOnlyDictionary<int, long>? indexedEnds = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var store = new ShardStore(directory, sealBytes);
        foreach (var path in System.IO.Directory.GetFiles(directory, "*.pack").Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(System.IO.Path.GetFileNameWithoutExtension(path), out var id))
            {
                continue;
            }
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var from = indexedEnds is not null && indexedEnds.TryGetValue(id, out var known) ? known : PackFormat.FileHeaderSize;
            var end = Scan(handle, id, from, verify is null ? onEntry : (d, l) =>
            {
                if (verify(handle, d, l))
                {
                    onEntry(d, l);
                }
            });
            if (end == PackFormat.FileHeaderSize && !HasFileHeader(handle))
            {
                // Created just before a crash: write the header now, or the next open would discard the segments
                // appended from here on along with it.
                var fileHeader = new byte[PackFormat.FileHeaderSize];
                PackFormat.WriteFileHeader(fileHeader, id);
                RandomAccess.Write(handle, fileHeader, 0);
                LibC.DataSync(handle, path);
            }
            if (RandomAccess.GetLength(handle) != end)
            {
                RandomAccess.SetLength(handle, end); // torn tail of an interrupted write: never referenced
                LibC.DataSync(handle, path);
            }
            store._packs[id] = new Pack(id, path, handle, end);
            store._nextId = Math.Max(store._nextId, id + 1);
        }
        return store;
    }

    private static bool HasFileHeader(SafeFileHandle handle)
    {
        Span<byte> header = stackalloc byte[PackFormat.FileHeaderSize];
        return RandomAccess.Read(handle, header, 0) == PackFormat.FileHeaderSize && PackFormat.IsFileHeader(header);
    }

    /// <summary>
    /// Reads the segment headers of a pack from <paramref name="from"/> (a segment boundary; the first segment when it
    /// is out of range); returns the end of its last valid segment.
    /// </summary>
    internal static long Scan(SafeFileHandle handle, int id, long from, Action<ChunkDigest, ChunkLocation> onEntry)
    {
        var length = RandomAccess.GetLength(handle);
        var header = new byte[PackFormat.SegmentHeaderSize];
        if (length < PackFormat.FileHeaderSize
            || RandomAccess.Read(handle, header.AsSpan(0, PackFormat.FileHeaderSize), 0) != PackFormat.FileHeaderSize
            || !PackFormat.IsFileHeader(header))
        {
            return PackFormat.FileHeaderSize; // a pack whose own header never became durable
        }
        var entries = new List<ChunkRef>(PackFormat.MaxEntries);
        long offset = from >= PackFormat.FileHeaderSize && from <= length ? from : PackFormat.FileHeaderSize;
        while (offset + PackFormat.SegmentHeaderSize <= length)
        {
            if (RandomAccess.Read(handle, header, offset) != header.Length
                || !PackFormat.TryReadSegmentHeader(header, entries, out var dataLength)
                || offset + PackFormat.SegmentHeaderSize + dataLength > length)
            {
                break;
            }
            var position = offset + PackFormat.SegmentHeaderSize;
            foreach (var e in entries)
            {
                onEntry(e.Digest, new ChunkLocation(id, e.Length, position));
                position += e.Length;
            }
            offset = position;
        }
        return offset;
    }

    /// <summary>Leases a pack for exclusive appending; return it with <see cref="Release"/>.</summary>
    public PackWriter Lease()
    {
        lock (_lock)
        {
            foreach (var pack in _packs.Values)
            {
                if (!pack.Leased && pack.End < _sealBytes)
                {
                    pack.Leased = true;
                    pack.LeasedAt = pack.End;
                    return new PackWriter(this, pack);
                }
            }
            var created = Create(_nextId++);
            created.Leased = true;
            created.LeasedAt = created.End;
            _packs[created.Id] = created;
            return new PackWriter(this, created);
        }
    }

    internal void Release(Pack pack)
    {
        lock (_lock)
        {
            pack.Leased = false;
        }
    }

    private Pack Create(int id)
    {
        var path = System.IO.Path.Combine(_directory, PackFormat.FileName(id));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[PackFormat.FileHeaderSize];
        PackFormat.WriteFileHeader(header, id);
        RandomAccess.Write(handle, header, 0);
        LibC.DataSync(handle, path);
        LibC.SyncDirectory(_directory);
        return new Pack(id, path, handle, PackFormat.FileHeaderSize);
    }

    /// <summary>The handle to read a pack's bytes (positional reads, sendfile).</summary>
    public SafeFileHandle? Handle(int packId)
    {
        lock (_lock)
        {
            return _packs.TryGetValue(packId, out var p) ? p.Handle : null;
        }
    }

    /// <summary>Bytes in all packs (physical storage of chunks, headers included).</summary>
    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                return _packs.Values.Sum(p => p.End);
            }
        }
    }

    public int PackCount
    {
        get
        {
            lock (_lock)
            {
                return _packs.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var p in _packs.Values)
            {
                p.Dispose();
            }
            _packs.Clear();
        }
    }
}
