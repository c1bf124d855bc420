using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>A model version of one random blob (layer <c>model.bin</c>) registered at the origin.</summary>
internal sealed record PublishedVersion(string Model, long Version, string BlobDigest, string ArtifactDigest, byte[] Content)
{
    public const int MiB = 1 << 20;

    public const string LayerPath = "model.bin";

    public long Size => Content.Length;

    /// <summary>
    /// Uploads <paramref name="size"/> random bytes to the origin (random, so every chunk is distinct and a blob of N
    /// MiB has about N chunks), its manifest, and registers them as the next version of <paramref name="model"/>;
    /// with <paramref name="alias"/>, points the alias at it.
    /// </summary>
    public static async Task<PublishedVersion> PublishAsync(TierApi origin, string model, int size, string? alias = null)
    {
        var content = new byte[size];
        Random.Shared.NextBytes(content);
        var blob = Sha256(content);
        await origin.CallAsync(HttpMethod.Put, $"/v1/blobs?digest={blob}", new ByteArrayContent(content));
        var manifest = "{\"annotations\":{},\"layers\":[{\"digest\":\"" + blob + "\",\"mediaType\":\"application/octet-stream\",\"path\":\""
            + LayerPath + "\",\"size\":" + size + "}],\"mediaType\":\"application/vnd.arca.manifest.v1+json\"}";
        var artifact = Sha256(Encoding.UTF8.GetBytes(manifest));
        await origin.CallAsync(HttpMethod.Put, $"/v1/manifests/{artifact}", new StringContent(manifest, Encoding.UTF8, "application/json"));
        var version = (await origin.CallAsync(HttpMethod.Post, $"/v1/models/{model}/versions",
            new JsonObject { ["artifact_digest"] = artifact })).GetProperty("version").GetInt64();
        if (alias is not null)
        {
            await origin.CallAsync(HttpMethod.Put, $"/v1/models/{model}/aliases/{alias}", new JsonObject { ["version"] = version, ["reason"] = "test" });
        }
        return new PublishedVersion(model, version, blob, artifact, content);
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
