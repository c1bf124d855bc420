using System.Text.Json;

namespace Arca.Metadata;

/// <summary>What a caller registers as a new version.</summary>
public sealed record VersionSpec
{
    public required string ArtifactDigest { get; init; }
    public string? RunId { get; init; }
    public string Framework { get; init; } = "";
    public Dictionary<string, double> Metrics { get; init; } = [];
    public Dictionary<string, JsonElement> Params { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
}
