using System.Text.Json;

namespace Arca.Metadata;

/// <summary>An immutable registered version: its artifact digest, lineage link and recorded metadata.</summary>
public sealed record ModelVersion
{
    public required string Model { get; init; }
    public long Version { get; init; }
    public required string ArtifactDigest { get; init; }
    public string? RunId { get; init; }
    public string Framework { get; init; } = "";
    public Dictionary<string, double> Metrics { get; init; } = [];
    public Dictionary<string, JsonElement> Params { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    public string Status { get; init; } = "registered";
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
