namespace Arca.Storage.Chunking;

/// <summary>Receives one completed chunk; the span is only valid for the duration of the call.</summary>
public delegate void ChunkHandler(ReadOnlySpan<byte> chunk);
