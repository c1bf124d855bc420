namespace Arca.Storage.Blobs;

/// <summary>The outcome of writing a blob's bytes: its digest, size, recipe and how many bytes were new.</summary>
public sealed record IngestResult(ChunkDigest Digest, long Size, IReadOnlyList<ChunkRef> Chunks, long NewBytes, int NewChunks);
