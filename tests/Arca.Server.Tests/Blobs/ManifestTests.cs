using System.Net;
using System.Text;

namespace Arca.Server.Tests.Blobs;

public sealed class ManifestTests : IAsyncLifetime
{
    private static readonly byte[] Weights = BlobFixtures.RandomBytes(400_000, 200);
    private static readonly byte[] Tokenizer = BlobFixtures.RandomBytes(50_000, 201);

    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(requireStoredArtifacts: true);
        await _server.Admin.PutBlobAsync(Weights);
        await _server.Admin.PutBlobAsync(Tokenizer);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Admin => _server.Admin;

    private static readonly string W = BlobFixtures.Sha256(Weights);
    private static readonly string T = BlobFixtures.Sha256(Tokenizer);

    [Fact]
    public async Task Put_ValidManifest_Is201_AndGetReturnsTheExactBytes()
    {
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length), ("tok/vocab.json", T, Tokenizer.Length));
        var digest = BlobFixtures.Sha256(manifest);
        using (var put = await Admin.PutManifestAsync(manifest))
        {
            var info = await put.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal(digest, info.Str("digest"));
            Assert.Equal(manifest.Length, info.Long("size"));
            Assert.Equal("application/vnd.arca.manifest.v1+json", info.Str("media_type"));
            Assert.Equal("/v1/manifests/" + digest, put.Headers.Location!.OriginalString);
        }

        using var get = await Admin.GetAsync("/v1/manifests/" + digest);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/vnd.arca.manifest.v1+json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, get.RawHeader("Docker-Content-Digest"));

        // Stored as a blob too, and a second PUT of the same bytes is harmless.
        using (var head = await Admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/blobs/" + digest)))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(manifest.Length, head.Content.Headers.ContentLength);
        }
        using (var again = await Admin.PutManifestAsync(manifest))
        {
            await again.ExpectAsync(HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task Put_NonAsciiPathAndAnnotations_KeepTheExactBytes()
    {
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"annotations":{"org.arca.note":"größe – 😀"},"layers":[{"digest":"{{W}}","mediaType":"application/octet-stream","path":"módel/ü.bin","size":{{Weights.Length}}}],"mediaType":"application/vnd.arca.manifest.v1+json"}""");
        using (var put = await Admin.PutManifestAsync(manifest))
        {
            await put.ExpectAsync(HttpStatusCode.Created);
        }
        using var get = await Admin.GetAsync("/v1/manifests/" + BlobFixtures.Sha256(manifest));
        Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Put_LayersSharingADirectoryOrAPrefix_IsValid()
    {
        var manifest = BlobFixtures.Manifest(("weights/a.bin", W, Weights.Length), ("weights/b.bin", T, Tokenizer.Length),
            ("weights.bin", W, Weights.Length), ("weights-x/a.bin", T, Tokenizer.Length));
        using var put = await Admin.PutManifestAsync(manifest);
        await put.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Get_UnknownManifestOrPlainBlob_Is404()
    {
        using (var unknown = await Admin.GetAsync("/v1/manifests/" + TestHttp.Digest("none")))
        {
            await unknown.ExpectProblemAsync(HttpStatusCode.NotFound, "MANIFEST_NOT_FOUND");
        }
        using var blob = await Admin.GetAsync("/v1/manifests/" + W);
        await blob.ExpectProblemAsync(HttpStatusCode.NotFound, "MANIFEST_NOT_FOUND");
    }

    [Fact]
    public async Task Put_BodyNotMatchingTheDigest_Is400DigestInvalid()
    {
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length));
        var other = BlobFixtures.Manifest(("other.bin", W, Weights.Length));
        using (var put = await Admin.PutManifestAsync(manifest, BlobFixtures.Sha256(other)))
        {
            await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        // Re-serialised (whitespace) bytes are different bytes.
        var spaced = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(manifest).Replace(",", ", ", StringComparison.Ordinal));
        using (var put = await Admin.PutManifestAsync(spaced, BlobFixtures.Sha256(manifest)))
        {
            await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using var get = await Admin.GetAsync("/v1/manifests/" + BlobFixtures.Sha256(other));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var bad = await Admin.PutManifestAsync(manifest, "sha256:1234");
        await bad.ExpectProblemAsync(HttpStatusCode.BadRequest, "INVALID_DIGEST");
    }

    [Fact]
    public async Task Put_LayerBlobNotStored_Is400ManifestInvalid()
    {
        var missing = BlobFixtures.Sha256(BlobFixtures.RandomBytes(10, 999));
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length), ("missing.bin", missing, 10));
        using var put = await Admin.PutManifestAsync(manifest);
        var problem = await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        Assert.Contains(missing, problem.Str("detail"), StringComparison.Ordinal);
        await AssertNotStoredAsync(manifest);
    }

    [Fact]
    public async Task Put_LayerSizeNotMatchingTheBlob_Is400ManifestInvalid()
    {
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length + 1));
        using var put = await Admin.PutManifestAsync(manifest);
        await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertNotStoredAsync(manifest);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../escape.bin")]
    [InlineData("a/../../b")]
    [InlineData("a/..")]
    [InlineData("a//b")]
    [InlineData("a/b/")]
    [InlineData("./a")]
    [InlineData("a\\b")]
    [InlineData("..\\..\\b")]
    [InlineData("")]
    [InlineData("a\u0000b")]
    [InlineData("line\nbreak")]
    public async Task Put_UnsafeLayerPath_Is400ManifestInvalid(string path)
    {
        var manifest = BlobFixtures.Manifest((path, W, Weights.Length));
        using var put = await Admin.PutManifestAsync(manifest);
        await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertNotStoredAsync(manifest);
    }

    public static TheoryData<string> MalformedManifests => new()
    {
        // duplicate path
        $$"""{"annotations":{},"layers":[{"digest":"{{W}}","mediaType":"application/octet-stream","path":"a","size":{{Weights.Length}}},{"digest":"{{T}}","mediaType":"application/octet-stream","path":"a","size":{{Tokenizer.Length}}}],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        // one layer would have to be a file and a directory at once
        $$"""{"layers":[{"digest":"{{W}}","path":"model","size":{{Weights.Length}}},{"digest":"{{T}}","path":"model/tok.json","size":{{Tokenizer.Length}}}]}""",
        $$"""{"layers":[{"digest":"{{T}}","path":"a/b/c","size":{{Tokenizer.Length}}},{"digest":"{{W}}","path":"a/b","size":{{Weights.Length}}}]}""",
        // unknown top-level field
        $$"""{"annotations":{},"layers":[],"mediaType":"application/vnd.arca.manifest.v1+json","schemaVersion":2}""",
        // unknown layer field
        $$"""{"annotations":{},"layers":[{"digest":"{{W}}","mode":420,"path":"a","size":{{Weights.Length}}}],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        // wrong types
        $$"""{"annotations":{},"layers":[{"digest":"{{W}}","path":"a","size":"{{Weights.Length}}"}],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        $$"""{"annotations":{"n":1},"layers":[],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        $$"""{"annotations":{},"layers":{},"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        $$"""{"annotations":{},"layers":[{"digest":"{{W}}","path":"a","size":-1}],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        $$"""{"annotations":{},"layers":["{{W}}"],"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        // missing pieces
        """{"annotations":{},"mediaType":"application/vnd.arca.manifest.v1+json"}""",
        $$"""{"layers":[{"digest":"{{W}}","path":"a"}]}""",
        $$"""{"layers":[{"path":"a","size":{{Weights.Length}}}]}""",
        // bad layer digest
        $$"""{"layers":[{"digest":"{{W.ToUpperInvariant()}}","path":"a","size":{{Weights.Length}}}]}""",
        // not an object / not JSON
        "[]",
        "{\"layers\":[",
        "",
    };

    [Theory]
    [MemberData(nameof(MalformedManifests))]
    public async Task Put_MalformedManifest_Is400ManifestInvalid(string json)
    {
        var manifest = Encoding.UTF8.GetBytes(json);
        using var put = await Admin.PutManifestAsync(manifest);
        await put.ExpectProblemAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await AssertNotStoredAsync(manifest);
    }

    [Fact]
    public async Task Put_ManifestWithoutToken_Is401()
    {
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length));
        using var put = await _server.Anonymous.PutManifestAsync(manifest);
        await put.ExpectProblemAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    private async Task AssertNotStoredAsync(byte[] manifest)
    {
        var digest = BlobFixtures.Sha256(manifest);
        using var get = await Admin.GetAsync("/v1/manifests/" + digest);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var head = await Admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/blobs/" + digest));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task RegisterVersion_Is422UntilTheManifestIsStored_Then201()
    {
        await Admin.CreateModelAsync("fraud");
        var manifest = BlobFixtures.Manifest(("model.bin", W, Weights.Length));
        var digest = BlobFixtures.Sha256(manifest);

        using (var early = await Admin.PostVersionAsync("fraud", digest))
        {
            await early.ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "ARTIFACT_NOT_STORED");
        }
        // A plain blob is not an artifact.
        using (var blob = await Admin.PostVersionAsync("fraud", W))
        {
            await blob.ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "ARTIFACT_NOT_STORED");
        }
        using (var put = await Admin.PutManifestAsync(manifest))
        {
            await put.ExpectAsync(HttpStatusCode.Created);
        }
        var version = await Admin.RegisterAsync("fraud", digest);
        Assert.Equal(digest, version.Str("artifact_digest"));
    }

    [Fact]
    public async Task Compare_ReportsAddedRemovedChangedLayers_AndBytesSharedFromTheRecipes()
    {
        await Admin.CreateModelAsync("llm");
        var old = BlobFixtures.RandomBytes(30_000, 202);
        var fresh = BlobFixtures.RandomBytes(40_000, 203);
        // A fine-tune of the weights: one region rewritten, the rest identical.
        var tuned = (byte[])Weights.Clone();
        BlobFixtures.RandomBytes(20_000, 204).CopyTo(tuned, 150_000);

        var a = await Admin.StoreArtifactAsync(("model.bin", Weights), ("tokenizer.json", Tokenizer), ("old.txt", old));
        var b = await Admin.StoreArtifactAsync(("model.bin", tuned), ("tokenizer.json", Tokenizer), ("new.txt", fresh));
        var va = (await Admin.RegisterAsync("llm", a)).Long("version");
        var vb = (await Admin.RegisterAsync("llm", b)).Long("version");

        var layers = (await Admin.GetJsonAsync($"/v1/models/llm/compare?a={va}&b={vb}")).GetProperty("layers");
        var added = Assert.Single(layers.GetProperty("added").EnumerateArray());
        Assert.Equal("new.txt", added.Str("path"));
        Assert.Equal(BlobFixtures.Sha256(fresh), added.Str("b_digest"));
        Assert.Equal(fresh.Length, added.Long("b_size"));
        var removed = Assert.Single(layers.GetProperty("removed").EnumerateArray());
        Assert.Equal("old.txt", removed.Str("path"));
        Assert.Equal(BlobFixtures.Sha256(old), removed.Str("a_digest"));
        var changed = Assert.Single(layers.GetProperty("changed").EnumerateArray());
        Assert.Equal("model.bin", changed.Str("path"));
        Assert.Equal(W, changed.Str("a_digest"));
        Assert.Equal(BlobFixtures.Sha256(tuned), changed.Str("b_digest"));
        Assert.Equal(1, layers.GetProperty("unchanged").GetInt32());
        Assert.Equal(Weights.Length + Tokenizer.Length + old.Length, layers.Long("bytes_a"));
        Assert.Equal(tuned.Length + Tokenizer.Length + fresh.Length, layers.Long("bytes_b"));

        // Expected: every byte of B that lies in a chunk A also has.
        var chunksOfA = new HashSet<string>();
        foreach (var blob in new[] { Weights, Tokenizer, old })
        {
            chunksOfA.UnionWith((await Admin.RecipeAsync(BlobFixtures.Sha256(blob))).Select(c => c.Digest));
        }
        long expectedShared = 0;
        foreach (var blob in new[] { tuned, Tokenizer, fresh })
        {
            expectedShared += (await Admin.RecipeAsync(BlobFixtures.Sha256(blob))).Where(c => chunksOfA.Contains(c.Digest)).Sum(c => (long)c.Length);
        }
        Assert.Equal(expectedShared, layers.Long("bytes_shared"));
        // The tokenizer is shared whole, most of the weights too; the new file not at all.
        Assert.InRange(expectedShared, Tokenizer.Length + (Weights.Length / 2), tuned.Length + Tokenizer.Length - 20_000);

        var reverse = (await Admin.GetJsonAsync($"/v1/models/llm/compare?a={vb}&b={va}")).GetProperty("layers");
        Assert.Equal("old.txt", Assert.Single(reverse.GetProperty("added").EnumerateArray()).Str("path"));
        Assert.Equal("new.txt", Assert.Single(reverse.GetProperty("removed").EnumerateArray()).Str("path"));

        var self = (await Admin.GetJsonAsync($"/v1/models/llm/compare?a={va}&b={va}")).GetProperty("layers");
        Assert.Empty(self.GetProperty("changed").EnumerateArray());
        Assert.Equal(3, self.GetProperty("unchanged").GetInt32());
        Assert.Equal(Weights.Length + Tokenizer.Length + old.Length, self.Long("bytes_shared"));
    }
}
