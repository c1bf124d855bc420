using System.Net;
using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>Every chunk is verified on its way down the tree: a bad byte at the seeder never reaches a client.</summary>
public sealed class IntegrityTests
{
    private const int MiB = PublishedVersion.MiB;

    [Fact]
    public async Task A_chunk_corrupted_in_the_seeders_pack_is_caught_at_the_edge_and_the_client_gets_correct_bytes()
    {
        await using var tree = await TierTree.StartAsync();
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/corrupt", 16 * MiB);
        var chunks = await tree.OriginApi.RecipeAsync(published.BlobDigest);
        await tree.SeederApi.PrewarmAsync(published.Model, published.Version);
        await tree.SeederApi.WaitWarmAsync(published.Model, published.Version, TimeSpan.FromSeconds(60));
        // (Pre-warming may count the manifest, stored upstream as a one-chunk blob, as one more fetch.)
        var seederBefore = await tree.SeederApi.StatusAsync();
        Assert.True(seederBefore.UpstreamFetches >= chunks.Count, $"pre-warming fetched {seederBefore.UpstreamFetches} of {chunks.Count} chunks\n{seederBefore}");

        // Flip one byte in the middle of a chunk in the middle of the blob, where the seeder's pack holds it.
        var victim = chunks[chunks.Count / 2];
        var (pack, offset) = Packs.Locate(tree.Seeder.DataDir, published.Content, victim.Offset + victim.Length / 2);
        Packs.FlipByte(pack, offset);

        var url = (await tree.EdgeApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath];
        using var http = BlobDownload.NewClient();
        var download = await BlobDownload.GetAsync(http, url);
        var edge = await tree.EdgeApi.StatusAsync();
        Assert.True(download.Matches(published.Content), $"through the edge: {download}\n{edge}{tree.Logs}");
        Assert.True(edge.VerificationFailures >= 1, $"the edge received a corrupt chunk from the seeder and did not notice\n{edge}");

        // The seeder dropped its bad copy and fetched the chunk from the origin again: a direct read is correct too.
        var seeder = await tree.SeederApi.StatusAsync();
        Assert.True(seeder.UpstreamFetches >= seederBefore.UpstreamFetches + 1,
            $"the seeder fetched {seeder.UpstreamFetches} chunks from the origin; after the repair it should have refetched the bad one\n{seeder}{tree.Logs}");
        var direct = await BlobDownload.GetAsync(http, (await tree.SeederApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath]);
        Assert.True(direct.Matches(published.Content), $"straight from the seeder after the repair: {direct}{tree.Logs}");
    }

    [Fact]
    public async Task The_origin_rehashes_a_chunk_asked_for_with_repair_and_refuses_a_corrupt_copy_with_500()
    {
        await using var tree = await TierTree.StartAsync();
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/origin-rot", 8 * MiB);
        var chunks = await tree.OriginApi.RecipeAsync(published.BlobDigest);
        Assert.True(chunks.Count >= 2, $"the blob has {chunks.Count} chunk(s)");
        var victim = chunks[^1];
        var healthy = chunks[0];
        var (pack, offset) = Packs.Locate(tree.Origin.DataDir, published.Content, victim.Offset + victim.Length / 2);
        Packs.FlipByte(pack, offset);

        using var http = tree.Client();
        async Task<(HttpStatusCode Status, byte[] Body)> GetAsync(string digest)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                $"{tree.Origin.DataUrl}/chunks/{digest.Replace("sha256:", "sha256/", StringComparison.Ordinal)}?repair=1");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tree.Token);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
        }

        var bad = await GetAsync(victim.Digest);
        Assert.True(bad.Status == HttpStatusCode.InternalServerError,
            $"{(int)bad.Status}: {System.Text.Encoding.UTF8.GetString(bad.Body.AsSpan(0, Math.Min(bad.Body.Length, 200)))}");
        Assert.Contains("corrupt", System.Text.Encoding.UTF8.GetString(bad.Body), StringComparison.Ordinal);
        await Eventually.WaitAsync(() => tree.Origin.Output.Contains($"the stored copy of chunk {victim.Digest} is corrupt", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), () => "the origin did not log the corrupt chunk:\n" + tree.Origin.Output);

        var good = await GetAsync(healthy.Digest);
        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.Equal(healthy.Digest, PublishedVersion.Sha256(good.Body));
    }
}
