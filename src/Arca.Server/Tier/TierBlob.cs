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

    public static TierBlob From(string digest, long size, IReadOnlyList<ChunkRef> recipe)
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
        return new TierBlob(digest, size, chunks, starts, lengths);
    }
}
