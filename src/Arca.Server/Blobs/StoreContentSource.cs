using System.Collections.Concurrent;
using Arca.DataPlane;
using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Blobs;

/// <summary>
/// What the data plane serves: committed blobs (by their recipe) and chunks, as extents of pack files. Blobs are
/// immutable, so their layouts are cached (bounded). A layout not yet cached is built off the poller thread (as a miss):
/// it reads the blob's record and looks up every chunk of its recipe, 100,000 lookups for a 100 GB blob, which must
/// not stall the other downloads on that poller; so does a chunk's lookup once the index outgrew its memory (a lookup
/// may then read from disk). A chunk asked for with <c>?repair=1</c> (a tier below found its copy
/// corrupt) is re-hashed first: a corrupt stored copy is refused with a 500 and logged, never served again.
/// </summary>
internal sealed partial class StoreContentSource(ChunkStore chunks, BlobCatalog catalog, ILogger<StoreContentSource> log) : IContentSource
{
    private const int MaxCachedLayouts = 4096;
    private readonly ConcurrentDictionary<string, ContentLayout> _layouts = new(StringComparer.Ordinal);

    /// <summary>
    /// On the poller: a chunk (one index lookup, while the index is all in memory) or a cached blob layout; anything
    /// else is resolved as a miss, off the poller.
    /// </summary>
    public ContentLayout? Lookup(ContentKind kind, string hexDigest) =>
        kind == ContentKind.Chunk ? (chunks.LookupsMayWait ? null : LookupChunk(hexDigest))
        : _layouts.TryGetValue("sha256:" + hexDigest, out var cached) ? cached
        : null;

    /// <summary>Blob layouts not cached yet are built by <see cref="LookupMissAsync"/>, off the poller thread.</summary>
    public bool ResolvesMisses => true;

    public bool ChecksRepairs => true;

    public ValueTask<ContentLayout?> LookupMissAsync(ContentKind kind, string hexDigest, bool repair, CancellationToken ct)
    {
        if (kind == ContentKind.Blob)
        {
            return ValueTask.FromResult(BuildBlobLayout(hexDigest));
        }
        var layout = LookupChunk(hexDigest);
        if (!repair || layout is null)
        {
            return ValueTask.FromResult(layout);
        }
        var extent = layout.Extents[0];
        var digest = ChunkDigest.Parse("sha256:" + hexDigest);
        if (digest.MatchesStored(extent.File, extent.Offset, (int)extent.Length))
        {
            return ValueTask.FromResult<ContentLayout?>(layout);
        }
        Log.StoredChunkCorrupt(log, digest.ToString());
        throw new InvalidDataException($"the stored copy of chunk {digest} is corrupt");
    }

    private ContentLayout? LookupChunk(string hexDigest) =>
        chunks.TryLocate(ChunkDigest.Parse("sha256:" + hexDigest), out var l) && chunks.PackHandle(l.Pack) is { } handle
            ? new ContentLayout(l.Length, [new ContentExtent(handle, l.Offset, l.Length)])
            : null;

    private ContentLayout? BuildBlobLayout(string hexDigest)
    {
        var digest = "sha256:" + hexDigest;
        if (_layouts.TryGetValue(digest, out var cached))
        {
            return cached;
        }
        if (catalog.Get(digest) is not { } blob || chunks.Extents(Recipe.Decode(blob.Recipe)) is not { } extents)
        {
            return null;
        }
        var layout = new ContentLayout(blob.Size, [.. extents.Select(e => new ContentExtent(e.File, e.Offset, e.Length))]);
        if (_layouts.Count >= MaxCachedLayouts)
        {
            _layouts.Clear();
        }
        _layouts[digest] = layout;
        return layout;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.StoredChunkCorrupt, Level = LogLevel.Error,
            Message = "the stored copy of chunk {Digest} is corrupt (a tier asked for it with ?repair=1); it is no longer served to repair requests. Run `arca index rebuild --verify` with the server stopped, then push the affected blobs again")]
        public static partial void StoredChunkCorrupt(ILogger logger, string digest);
    }
}
