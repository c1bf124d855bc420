using Arca.Storage.Native;

namespace Arca.Storage.Shards;

/// <summary>
/// Appends chunks to a leased pack as segments. Bytes are written in place after a reserved header; the header is
/// written once the segment's data is durable (fdatasync), and <see cref="Flush"/> makes the headers durable too.
/// </summary>
public sealed class PackWriter : IDisposable
{
    private readonly ShardStore _store;
    private readonly Pack _pack;
    private readonly List<ChunkRef> _entries = new(PackFormat.MaxEntries);
    private readonly byte[] _header = new byte[PackFormat.SegmentHeaderSize];
    private readonly DirectAppender? _direct;
    private long _segmentStart = -1;
    private long _position;
    private bool _released;

    internal PackWriter(ShardStore store, Pack pack)
    {
        _store = store;
        _pack = pack;
        // Durable writers (the origin's uploads) bypass the page cache; a cache's writes are read back at once, so
        // they go through it.
        _direct = store.SyncWrites ? DirectAppender.TryCreate(pack) : null;
    }

    public int PackId => _pack.Id;

    /// <summary>Appends one chunk and returns where it will be once the segment is closed.</summary>
    public ChunkLocation Append(in ChunkDigest digest, ReadOnlySpan<byte> bytes)
    {
        if (_entries.Count == PackFormat.MaxEntries)
        {
            CloseSegment();
        }
        if (_segmentStart < 0)
        {
            _segmentStart = _pack.End;
            _position = _segmentStart + PackFormat.SegmentHeaderSize;
            _direct?.Begin(_position);
        }
        if (_direct is null)
        {
            RandomAccess.Write(_pack.Handle, bytes, _position);
        }
        else
        {
            _direct.Write(bytes, _position);
        }
        var location = new ChunkLocation(_pack.Id, bytes.Length, _position);
        _entries.Add(new ChunkRef(digest, bytes.Length));
        _position += bytes.Length;
        return location;
    }

    /// <summary>Closes the open segment and makes everything appended so far durable.</summary>
    public void Flush()
    {
        CloseSegment();
        if (_store.SyncWrites)
        {
            LibC.DataSync(_pack.Handle, _pack.Path);
        }
    }

    private void CloseSegment()
    {
        if (_entries.Count == 0)
        {
            return;
        }
        _direct?.Finish();
        if (_store.SyncWrites)
        {
            LibC.DataSync(_pack.Handle, _pack.Path); // data first: a header must never describe bytes that are not there
        }
        PackFormat.WriteSegmentHeader(_header, _entries, _position - _segmentStart - PackFormat.SegmentHeaderSize);
        RandomAccess.Write(_pack.Handle, _header, _segmentStart);
        _pack.End = _position;
        _entries.Clear();
        _segmentStart = -1;
    }

    /// <summary>Returns the pack. Bytes of an unclosed segment are dropped (the next writer overwrites them).</summary>
    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            _direct?.Dispose(); // waits for its writes: the next leaseholder must not race them
            _entries.Clear();
            _store.Release(_pack);
        }
    }
}
