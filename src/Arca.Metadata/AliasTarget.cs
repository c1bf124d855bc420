namespace Arca.Metadata;

/// <summary>What an alias resolves to now. <see cref="Revision"/> is the optimistic-locking token (ETag).</summary>
public sealed record AliasTarget
{
    public required string Model { get; init; }
    public required string Alias { get; init; }
    public long Version { get; init; }
    public required string ArtifactDigest { get; init; }
    public long Revision { get; init; }
    public required string UpdatedBy { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
