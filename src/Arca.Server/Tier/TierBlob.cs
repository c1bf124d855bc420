using Arca.Metadata;
using Arca.Storage;

namespace Arca.Server.Tier;

/// <summary>A blob as a tier knows it from its recipe: size, chunk digests and where each chunk starts.</summary>
public sealed class TierBlob(string digest, long size, ChunkDigest[] chunks, long[] starts, int[] lengths)
{
    public string Digest { get; } = digest;
    public long Size { get; } = size;
    public ChunkDigest[] Chunks { get; } = chunks;
    public long[] Starts { get; } = starts;
    public int[] Lengths { get; } = lengths;

    /// <summary>
    /// Where the last read-ahead scan found the first chunk not held (a hint: chunks before it were held then), so
    /// scans resume there instead of re-checking the whole lead for every chunk served.
    /// </summary>
    public int ScanHint;

    /// <summary>
    /// The blob's catalog record as this tier holds it. Its local row may still be committing (a tier records a fetched
    /// recipe without waiting for the commit), so the tier's own blob endpoints are handed this one.
    /// </summary>
    public BlobRecord? Record { get; init; }

    public static TierBlob From(string digest, long size, IReadOnlyList<ChunkRef> recipe, BlobRecord? record = null)
    {
        var chunks = new ChunkDigest[recipe.Count];
        var starts = new long[recipe.Count];
        var lengths = new int[recipe.Count];
        long offset = 0;
        for (var i = 0; i < recipe.Count; i++)
        {
            chunks[i] = recipe[i].Digest;
            starts[i] = offset;
            lengths[i] = recipe[i].Length;
            offset += recipe[i].Length;
        }
        if (offset != size)
        {
            throw new InvalidDataException($"the recipe of {digest} covers {offset} bytes, not {size}");
        }
        return new TierBlob(digest, size, chunks, starts, lengths) { Record = record };
    }
}
