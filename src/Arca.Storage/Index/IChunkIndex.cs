namespace Arca.Storage.Index;

/// <summary>Chunk digest → location. Kept behind this interface so the engine can be swapped.</summary>
public interface IChunkIndex : IAsyncDisposable
{
    bool TryGet(in ChunkDigest digest, out ChunkLocation location);

    void Put(in ChunkDigest digest, in ChunkLocation location);

    /// <summary>Forgets a chunk (a cache evicting it).</summary>
    void Delete(in ChunkDigest digest);

    /// <summary>Makes every Put so far durable.</summary>
    Task CheckpointAsync();

    /// <summary>How many new entries the store lets accumulate before it asks for a checkpoint.</summary>
    int EntriesPerCheckpoint => 4096;

    /// <summary>Whether a lookup may wait for a disk read (the index outgrew its memory): then callers that must not block look up elsewhere.</summary>
    bool LookupsMayWait => false;
}
