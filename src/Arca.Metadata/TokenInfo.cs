namespace Arca.Metadata;

/// <summary>A bearer token as listed: never its secret, which is stored only as a hash.</summary>
public sealed record TokenInfo
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<string> Roles { get; init; }
    public required string Models { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}
