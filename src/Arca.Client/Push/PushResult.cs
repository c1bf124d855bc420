namespace Arca.Client.Push;

/// <summary>The outcome of a push: the version (new or the existing one for these exact files) and what moved.</summary>
public sealed record PushResult(string Model, long Version, string ArtifactDigest, bool Created, int Layers,
    int LayersUploaded, long BytesUploaded, long BytesSkipped, string? Alias);
