using System.Text.Json;

namespace Arca.Metadata;

/// <summary>One entry of the durable, gap-free event log.</summary>
public sealed record EventRecord
{
    public long Seq { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Type { get; init; }
    public string? Model { get; init; }
    public JsonElement Payload { get; init; }
}
