namespace Arca.Metadata;

/// <summary>A stored blob: its digest, size, media type and recipe (the chunk list, opaque to this layer).</summary>
public sealed record BlobRecord
{
    public required string Digest { get; init; }
    public long Size { get; init; }
    public required string MediaType { get; init; }
    public required byte[] Recipe { get; init; }
    public long NewBytes { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
