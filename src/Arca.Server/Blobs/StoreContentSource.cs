using System.Collections.Concurrent;
using Arca.DataPlane;
using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;

namespace Arca.Server.Blobs;

/// <summary>
/// What the data plane serves: committed blobs (by their recipe) and chunks, as extents of pack files. Blobs are
/// immutable, so their layouts are cached (bounded).
/// </summary>
internal sealed class StoreContentSource(ChunkStore chunks, BlobCatalog catalog) : IContentSource
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
}
