using System.Text.Json;

namespace Arca.Server.Api;

// Request bodies of the control-plane API. Unknown fields are rejected (ServerJson disallows unmapped members).

public sealed record CreateModelRequest
{
    public required string Name { get; init; }
    public string? Owner { get; init; }
    public string? TaskType { get; init; }
    public string? Description { get; init; }
}

public sealed record UpdateModelRequest
{
    public string? Owner { get; init; }
    public string? TaskType { get; init; }
    public string? Description { get; init; }
}

public sealed record RegisterVersionRequest
{
    public required string ArtifactDigest { get; init; }
    public string? RunId { get; init; }
    public string? Framework { get; init; }
    public Dictionary<string, double>? Metrics { get; init; }
    public Dictionary<string, JsonElement>? Params { get; init; }
    public Dictionary<string, string>? Tags { get; init; }
}

public sealed record CreateRunRequest
{
    public string? RunId { get; init; }
    public string? DatasetVersion { get; init; }
    public string? CodeCommit { get; init; }
    public string? ContainerImage { get; init; }
    public Dictionary<string, JsonElement>? Hyperparams { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

public sealed record MoveAliasRequest
{
    public required long Version { get; init; }
    public string? Reason { get; init; }
}

public sealed record CreateTokenRequest
{
    public required string Name { get; init; }
    public required string[] Roles { get; init; }
    public string? Models { get; init; }
}
