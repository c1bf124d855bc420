using System.Buffers;
using System.Collections.Concurrent;
using Arca.DataPlane;
using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Arca.Server.Blobs;

/// <summary>
/// What the data plane serves: committed blobs (by their recipe) and chunks, as extents of pack files. Blobs are
/// immutable, so their layouts are cached (bounded). A chunk asked for with <c>?repair=1</c> (a tier below found its
/// copy corrupt) is re-hashed first: a corrupt stored copy is refused with a 500 and logged, never served again.
/// </summary>
internal sealed partial class StoreContentSource(ChunkStore chunks, BlobCatalog catalog, ILogger<StoreContentSource> log) : IContentSource
{
    private const int MaxCachedLayouts = 4096;
    private readonly ConcurrentDictionary<string, ContentLayout> _layouts = new(StringComparer.Ordinal);

    public ContentLayout? Lookup(ContentKind kind, string hexDigest)
    {
        var digest = "sha256:" + hexDigest;
        if (kind == ContentKind.Chunk)
        {
            return chunks.TryLocate(ChunkDigest.Parse(digest), out var l) && chunks.PackHandle(l.Pack) is { } handle
                ? new ContentLayout(l.Length, [new ContentExtent(handle, l.Offset, l.Length)])
                : null;
        }
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

    public bool ChecksRepairs => true;

    public async ValueTask<ContentLayout?> LookupMissAsync(ContentKind kind, string hexDigest, bool repair, CancellationToken ct)
    {
        var layout = Lookup(kind, hexDigest);
        if (kind != ContentKind.Chunk || !repair || layout is null)
        {
            return layout;
        }
        var extent = layout.Extents[0];
        var buffer = ArrayPool<byte>.Shared.Rent((int)extent.Length);
        try
        {
            var read = await RandomAccess.ReadAsync(extent.File, buffer.AsMemory(0, (int)extent.Length), extent.Offset, ct);
            var digest = ChunkDigest.Parse("sha256:" + hexDigest);
            if (read == extent.Length && ChunkDigest.Of(buffer.AsSpan(0, read)) == digest)
            {
                return layout;
            }
            Log.StoredChunkCorrupt(log, digest.ToString());
            throw new InvalidDataException($"the stored copy of chunk {digest} is corrupt");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.StoredChunkCorrupt, Level = LogLevel.Error,
            Message = "the stored copy of chunk {Digest} is corrupt (a tier asked for it with ?repair=1); it is no longer served to repair requests. Run `arca index rebuild --verify` with the server stopped, then push the affected blobs again")]
        public static partial void StoredChunkCorrupt(ILogger logger, string digest);
    }
}
