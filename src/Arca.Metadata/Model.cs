namespace Arca.Metadata;

/// <summary>A named family of versions. Only its descriptive fields change.</summary>
public sealed record Model
{
    public required string Name { get; init; }
    public string Owner { get; init; } = "";
    public string TaskType { get; init; } = "";
    public string Description { get; init; } = "";
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public long LatestVersion { get; init; }
}
