namespace Arca.Client.Pull;

/// <summary>What a pull placed: the version, and how many layers and bytes were fetched or already in place.</summary>
public sealed record PullResult(string Model, long Version, string ArtifactDigest, string Directory, int Layers,
    int LayersFetched, long BytesFetched, long BytesInPlace);
