namespace Arca.Storage.Blobs;

/// <summary>
/// What <see cref="BlobWriter.AppendFromAsync"/> took from a stream: every byte counted in <see cref="Bytes"/> was
/// appended, also when reading stopped early with <see cref="SourceError"/> (the client went away mid-body).
/// </summary>
public readonly record struct StreamAppend(long Bytes, Exception? SourceError);
