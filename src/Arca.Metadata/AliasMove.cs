namespace Arca.Metadata;

/// <summary>One move of an alias: from which version to which (null = created / deleted), who, when, why.</summary>
public sealed record AliasMove
{
    public required string Model { get; init; }
    public required string Alias { get; init; }
    public long? FromVersion { get; init; }
    public long? ToVersion { get; init; }
    public long Revision { get; init; }
    public required string Actor { get; init; }
    public string Reason { get; init; } = "";
    public DateTimeOffset At { get; init; }
}
