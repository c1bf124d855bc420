namespace Arca.Client.Push;

/// <summary>What <c>arca push</c> publishes and how.</summary>
public sealed record PushOptions
{
    public required string Path { get; init; }
    public required string Model { get; init; }
    public string? Framework { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public string? RunId { get; init; }
    public string? Dataset { get; init; }
    public string? Commit { get; init; }
    public string? Image { get; init; }
    public string? Alias { get; init; }

    /// <summary>Files uploaded at the same time.</summary>
    public int Parallel { get; init; } = 4;
}
