namespace Arca.Metadata;

/// <summary>Fields of a model that a caller sets on create or update; null leaves a field as it is.</summary>
public sealed record ModelSpec
{
    public string? Owner { get; init; }
    public string? TaskType { get; init; }
    public string? Description { get; init; }
}
