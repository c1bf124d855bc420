using Arca.Metadata;

namespace Arca.Server.Api;

// Response envelopes of the control-plane API.

public sealed record ModelList(IReadOnlyList<Model> Models, string? NextCursor);

public sealed record VersionList(IReadOnlyList<ModelVersion> Versions, string? NextCursor);

public sealed record AliasList(IReadOnlyList<AliasTarget> Aliases);

public sealed record AliasHistory(IReadOnlyList<AliasMove> History, string? NextCursor);

public sealed record EventList(IReadOnlyList<EventRecord> Events, long Next);

public sealed record AuditList(IReadOnlyList<AuditRecord> Entries, long Next);

public sealed record AuditVerification(long Checked, bool Intact, long? BrokenAt);

public sealed record TokenList(IReadOnlyList<TokenInfo> Tokens);

/// <summary>A new token: the only time its secret is shown.</summary>
public sealed record TokenCreated(string Id, string Name, IReadOnlyList<string> Roles, string Models, DateTimeOffset CreatedAt,
    string Token);

public sealed record Lineage(string Model, long Version, string ArtifactDigest, Run? Run);

public sealed record HealthStatus(string Status, string Mode)
{
    /// <summary>This server's data-plane base URL as seen by the caller (a downstream tier fetches chunks there).</summary>
    public string? DataUrl { get; init; }
}

/// <summary><c>GET /v1/whoami</c>: the caller's token as the server sees it (a tier authorizes its clients with it).</summary>
public sealed record WhoAmI(string TokenId, string Name, IReadOnlyList<string> Roles, string Models);

/// <summary><c>POST /v1/prewarm</c> body: a version by number, or an alias to resolve.</summary>
public sealed record PrewarmRequest
{
    public required string Model { get; init; }
    public long? Version { get; init; }
    public string? Alias { get; init; }
}

/// <summary>What a tier holds of one version's artifact.</summary>
public sealed record TierVersion(string Model, long Version, string Digest, long Bytes, long HeldBytes, bool Warm);

/// <summary>A blob being filled from upstream.</summary>
public sealed record TierFill(string Digest, long Bytes, long HeldBytes);

/// <summary>Per-tier counters (also on <c>/metrics</c>).</summary>
public sealed record TierCountersView(long BytesServed, long BytesFetchedUpstream, long UpstreamFetches, long CoalescedWaits,
    long VerificationFailures, long Evictions, long EvictedBytes, long CacheHits, long CacheMisses, double HitRatio,
    long UpstreamErrors, long StaleResolves);

/// <summary><c>GET /v1/tier/status</c>.</summary>
/// <param name="UpstreamDataUrl">Where this tier fetches chunks: configured, or learnt from the upstream at start (null
/// until then).</param>
public sealed record TierStatus(string Mode, string? Upstream, string? UpstreamDataUrl, long CapacityBytes, long UsedBytes,
    TierCountersView Counters, IReadOnlyList<TierVersion> Versions, IReadOnlyList<TierFill> Fills);
