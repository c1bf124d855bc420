namespace Arca.Server.Api;

// Response bodies of the blob, manifest and artifact endpoints.

public sealed record UploadStatus(string Id, long Offset, string Location);

public sealed record BlobInfo(string Digest, long Size, string MediaType, long NewBytes, DateTimeOffset CreatedAt);

public sealed record RecipeChunk(string Digest, long Offset, int Length);

public sealed record BlobRecipe(string Digest, long Size, IReadOnlyList<RecipeChunk> Chunks);

public sealed record DownloadLayer(string Path, string Digest, long Size, string MediaType, string Url);

public sealed record ArtifactDownload(string Digest, DateTimeOffset ExpiresAt, string ManifestUrl, long TotalSize,
    IReadOnlyList<DownloadLayer> Layers);
