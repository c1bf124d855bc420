using System.Text.Json;

namespace Arca.Metadata;

/// <summary>The provenance of versions: what data, code and image produced them.</summary>
public sealed record Run
{
    public required string RunId { get; init; }
    public string DatasetVersion { get; init; } = "";
    public string CodeCommit { get; init; } = "";
    public string ContainerImage { get; init; } = "";
    public Dictionary<string, JsonElement> Hyperparams { get; init; } = [];
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
