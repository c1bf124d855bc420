namespace Arca.Storage;

/// <summary>One entry of a blob's recipe: a chunk and its length (offsets follow from the order).</summary>
public readonly record struct ChunkRef(ChunkDigest Digest, int Length);
