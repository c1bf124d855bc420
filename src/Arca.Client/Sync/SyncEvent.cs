namespace Arca.Client.Sync;

/// <summary>Something <c>arca sync</c> did or saw, for its log (one line each).</summary>
public sealed record SyncEvent(DateTimeOffset At, string Kind, string Message, long? Version = null, string? Digest = null);
