using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arca.Server.Tests.Blobs;

/// <summary>Blob contents, uploads and manifests shared by the blob-store tests.</summary>
internal static class BlobFixtures
{
    /// <summary>Deterministic pseudo-random bytes (incompressible, so FastCDC finds real boundaries).</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static HttpContent Octets(ReadOnlyMemory<byte> bytes) =>
        new ReadOnlyMemoryContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    /// <summary>Monolithic <c>PUT /v1/blobs?digest=</c>; asserts 201 and returns the blob info.</summary>
    public static async Task<JsonElement> PutBlobAsync(this HttpClient client, byte[] bytes)
    {
        using var response = await client.PutAsync("/v1/blobs?digest=" + Sha256(bytes), Octets(bytes));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    /// <summary><c>POST /v1/blobs/uploads</c>; returns the session's location.</summary>
    public static async Task<string> StartUploadAsync(this HttpClient client)
    {
        using var response = await client.PostAsync("/v1/blobs/uploads", null);
        await response.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("0", response.RawHeader("Upload-Offset"));
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/v1/blobs/uploads/", location, StringComparison.Ordinal);
        return location;
    }

    public static async Task<HttpResponseMessage> PatchAsync(this HttpClient client, string location, ReadOnlyMemory<byte> bytes,
        string? contentRange)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = Octets(bytes) };
        if (contentRange is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        }
        return await client.SendAsync(request);
    }

    /// <summary>The recipe's chunks as (digest, offset, length).</summary>
    public static async Task<(string Digest, long Offset, int Length)[]> RecipeAsync(this HttpClient client, string digest)
    {
        var recipe = await client.GetJsonAsync($"/v1/blobs/{digest}/recipe");
        return [.. recipe.GetProperty("chunks").EnumerateArray()
            .Select(c => (c.Str("digest"), c.Long("offset"), c.GetProperty("length").GetInt32()))];
    }

    /// <summary>A canonical manifest (keys sorted, no whitespace) over <paramref name="layers"/>.</summary>
    public static byte[] Manifest(params (string Path, string Digest, long Size)[] layers)
    {
        var sb = new StringBuilder("""{"annotations":{},"layers":[""");
        for (var i = 0; i < layers.Length; i++)
        {
            sb.Append(i == 0 ? "" : ",")
              .Append($$"""{"digest":"{{layers[i].Digest}}","mediaType":"application/octet-stream","path":{{JsonSerializer.Serialize(layers[i].Path)}},"size":{{layers[i].Size}}}""");
        }
        sb.Append("""],"mediaType":"application/vnd.arca.manifest.v1+json"}""");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, byte[] manifest, string? digest = null) =>
        client.PutAsync("/v1/manifests/" + (digest ?? Sha256(manifest)),
            new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue("application/vnd.arca.manifest.v1+json") } });

    /// <summary>Stores the layers and a manifest over them; returns the manifest's digest.</summary>
    public static async Task<string> StoreArtifactAsync(this HttpClient client, params (string Path, byte[] Bytes)[] layers)
    {
        foreach (var (_, bytes) in layers)
        {
            await client.PutBlobAsync(bytes);
        }
        var manifest = Manifest([.. layers.Select(l => (l.Path, Sha256(l.Bytes), (long)l.Bytes.Length))]);
        using var response = await client.PutManifestAsync(manifest);
        await response.ExpectAsync(HttpStatusCode.Created);
        return Sha256(manifest);
    }
}
