using Arca.Client.Pull;

namespace Arca.Client.Sync;

/// <summary>How <c>arca sync</c> keeps a directory on the version an alias points to.</summary>
public sealed record SyncOptions
{
    public required ModelReference Reference { get; init; }
    public required string Directory { get; init; }

    /// <summary>How often the alias is resolved.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Previous versions kept on disk beyond the grace period (so a rollback is a flip).</summary>
    public int Keep { get; init; } = 1;

    /// <summary>Every previous version stays at least this long after it was current.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest wait between attempts while the registry is unreachable.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    public PullOptions Pull { get; init; } = new();
}
