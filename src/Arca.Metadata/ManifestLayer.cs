namespace Arca.Metadata;

/// <summary>One file of an artifact: its relative path, blob digest, size and media type.</summary>
public sealed record ManifestLayer
{
    public required string Path { get; init; }
    public required string Digest { get; init; }
    public long Size { get; init; }
    public string MediaType { get; init; } = "application/octet-stream";
}
