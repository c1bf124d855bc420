using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;

namespace Arca.Server.Blobs;

/// <summary>Layer-level and chunk-level differences between two stored artifacts.</summary>
internal static class ArtifactComparison
{
    /// <summary>Null when either artifact's manifest is not stored.</summary>
    public static LayerComparison? Compare(BlobCatalog catalog, string a, string b)
    {
        if (catalog.GetManifest(a) is not { } ma || catalog.GetManifest(b) is not { } mb)
        {
            return null;
        }
        var byPathA = ma.Layers.ToDictionary(l => l.Path, StringComparer.Ordinal);
        var byPathB = mb.Layers.ToDictionary(l => l.Path, StringComparer.Ordinal);
        var added = mb.Layers.Where(l => !byPathA.ContainsKey(l.Path))
            .Select(l => new LayerDiff(l.Path, null, l.Digest, null, l.Size)).ToList();
        var removed = ma.Layers.Where(l => !byPathB.ContainsKey(l.Path))
            .Select(l => new LayerDiff(l.Path, l.Digest, null, l.Size, null)).ToList();
        var changed = ma.Layers.Where(l => byPathB.TryGetValue(l.Path, out var other) && other.Digest != l.Digest)
            .Select(l => new LayerDiff(l.Path, l.Digest, byPathB[l.Path].Digest, l.Size, byPathB[l.Path].Size)).ToList();
        var unchanged = ma.Layers.Count(l => byPathB.TryGetValue(l.Path, out var other) && other.Digest == l.Digest);

        var chunksOfA = new HashSet<ChunkDigest>();
        foreach (var layer in ma.Layers)
        {
            foreach (var c in Chunks(catalog, layer.Digest))
            {
                chunksOfA.Add(c.Digest);
            }
        }
        long shared = 0;
        foreach (var layer in mb.Layers)
        {
            foreach (var c in Chunks(catalog, layer.Digest))
            {
                if (chunksOfA.Contains(c.Digest))
                {
                    shared += c.Length;
                }
            }
        }
        return new LayerComparison(added, removed, changed, unchanged,
            ma.Layers.Sum(l => l.Size), mb.Layers.Sum(l => l.Size), shared);
    }

    private static ChunkRef[] Chunks(BlobCatalog catalog, string digest) =>
        catalog.Get(digest) is { } blob ? Recipe.Decode(blob.Recipe) : [];
}
