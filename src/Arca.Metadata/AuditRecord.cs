using System.Text.Json;

namespace Arca.Metadata;

/// <summary>One audit row; <see cref="Hash"/> covers the row and <see cref="PrevHash"/>, chaining the log.</summary>
public sealed record AuditRecord
{
    public long Seq { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public required string Subject { get; init; }
    public JsonElement? Before { get; init; }
    public JsonElement? After { get; init; }
    public string Reason { get; init; } = "";
    public required string PrevHash { get; init; }
    public required string Hash { get; init; }
}
