using Arca.Storage.Chunking;

namespace Arca.Storage.Blobs;

/// <summary>Settings of the chunk store (from <c>[storage]</c> in registry.toml).</summary>
public sealed record ChunkStoreOptions
{
    public required string DataDir { get; init; }
    public ChunkerOptions Chunker { get; init; } = new();
    public long PackSealBytes { get; init; } = 1L << 30;

    /// <summary>How much of the chunk index's log stays in memory (56 bytes per chunk); see <see cref="Index.FasterChunkIndex"/>.</summary>
    public long IndexMemoryBytes { get; init; } = Index.FasterChunkIndex.DefaultMemoryBytes;

    /// <summary>Re-hash every chunk read back for serving or rebuilding (costs CPU; catches bit rot).</summary>
    public bool VerifyOnRead { get; init; }

    public string ShardDir => Path.Combine(DataDir, "chunks", "shards");
    public string IndexDir => Path.Combine(DataDir, "chunks", "index");
}
