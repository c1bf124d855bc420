namespace Arca.Storage;

/// <summary>Where a chunk's bytes are: pack file id, byte offset in it, length. Blittable (FASTER value).</summary>
public readonly record struct ChunkLocation(int Pack, int Length, long Offset);
