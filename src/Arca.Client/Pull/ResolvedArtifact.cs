namespace Arca.Client.Pull;

/// <summary>A model reference resolved to a version and its artifact's downloadable layers.</summary>
public sealed record ResolvedArtifact(string Model, long Version, string ArtifactDigest, IReadOnlyList<RemoteLayer> Layers);

/// <summary>One layer to fetch: where it goes, what it must hash to, and a presigned URL.</summary>
public sealed record RemoteLayer(string Path, string Digest, long Size, string Url);
