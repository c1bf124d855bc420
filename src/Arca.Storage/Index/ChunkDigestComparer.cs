using FASTER.core;

namespace Arca.Storage.Index;

/// <summary>FASTER's key comparer for digests: equality and a 64-bit hash taken straight from the digest.</summary>
internal sealed class ChunkDigestComparer : IFasterEqualityComparer<ChunkDigest>
{
    public static readonly ChunkDigestComparer Instance = new();

    public bool Equals(ref ChunkDigest k1, ref ChunkDigest k2) => k1.Equals(k2);

    public long GetHashCode64(ref ChunkDigest k) => k.Hash64;
}
