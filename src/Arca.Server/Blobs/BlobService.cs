using Arca.Metadata;
using Arca.Storage;
using Arca.Storage.Blobs;
using Microsoft.AspNetCore.Http;

namespace Arca.Server.Blobs;

/// <summary>
/// Joins the chunk store (bytes) and the blob catalog (records): a blob becomes visible only when its row commits,
/// after <see cref="BlobWriter.CompleteAsync"/> made its chunks durable and indexed.
/// </summary>
public sealed class BlobService(ChunkStore chunks, BlobCatalog catalog)
{
    public ChunkStore Chunks => chunks;

    public BlobCatalog Catalog => catalog;

    /// <summary>
    /// Streams a request body into <paramref name="writer"/>, overlapping the network read with hashing and chunking.
    /// If the client goes away mid-body, every byte that did arrive is still appended before the error is rethrown,
    /// so the session's offset is exactly what the server received.
    /// </summary>
    public static async Task<long> CopyBodyAsync(HttpRequest request, BlobWriter writer, long? maxBytes, CancellationToken ct)
    {
        var (bytes, error) = await writer.AppendFromAsync(request.Body, maxBytes, ct);
        if (error is not null)
        {
            // Reported as a cancellation, so callers can tell it from a failure to store (an IOException).
            throw new OperationCanceledException("the client stopped sending the body", error);
        }
        return bytes;
    }

    /// <summary>Whether the body has bytes beyond what was read (a PATCH longer than its Content-Range).</summary>
    public static async Task<bool> HasMoreAsync(HttpRequest request, CancellationToken ct)
    {
        var probe = new byte[1];
        return await request.Body.ReadAsync(probe, ct) > 0;
    }

    /// <summary>Completes a blob and records it. Null when the content does not match <paramref name="expected"/>.</summary>
    public async Task<BlobRecord?> CommitAsync(string actor, BlobWriter writer, ChunkDigest? expected, string mediaType)
    {
        var result = await writer.CompleteAsync(expected);
        if (result is null)
        {
            return null;
        }
        var record = await catalog.AddAsync(actor, new BlobRecord
        {
            Digest = result.Digest.ToString(),
            Size = result.Size,
            MediaType = mediaType,
            Recipe = Recipe.Encode(result.Chunks),
            NewBytes = result.NewBytes,
        });
        // A blob stored before keeps its row; new_bytes still reports what this upload added (0 for identical bytes).
        return record.Value is { } stored ? stored with { NewBytes = result.NewBytes } : null;
    }
}
