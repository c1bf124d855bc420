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

public sealed record HealthStatus(string Status, string Mode);
