using Arca.Metadata;

namespace Arca.Server.Http;

/// <summary>An RFC 9457 problem document with Arca's stable <c>code</c>.</summary>
public sealed record Problem
{
    public string Type { get; init; } = "about:blank";
    public required string Title { get; init; }
    public int Status { get; init; }
    public string? Detail { get; init; }
    public required string Code { get; init; }
    public string? Instance { get; init; }

    /// <summary>For 409 on a re-registered artifact: the version that already holds it.</summary>
    public ModelVersion? Existing { get; init; }
}
