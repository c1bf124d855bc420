using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>Cold reads through origin → seeder → edge: coalesced into one upstream fetch per chunk, and streamed.</summary>
public sealed class ReadThroughTests
{
    private const int MiB = PublishedVersion.MiB;

    [Fact]
    public async Task Twenty_concurrent_cold_downloads_at_the_edge_are_bit_exact_and_fetch_each_chunk_once_per_tier()
    {
        await using var tree = await TierTree.StartAsync();
        // No alias: the seeder's default pre-warm (every aliased version) leaves this one cold at both tiers.
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/coalesce", 24 * MiB);
        var chunks = await tree.OriginApi.RecipeAsync(published.BlobDigest);
        Assert.Equal(chunks.Count, chunks.Select(c => c.Digest).Distinct().Count());
        Assert.True(chunks.Count >= 8, $"{chunks.Count} chunks: random bytes should make several dozen");

        // By digest with a bearer token: asking for download URLs first would make the edge (and the seeder) start
        // filling the blob before the 20 requests arrive, and nothing would be left to wait for together.
        var url = $"{tree.Edge.DataUrl}/blobs/{published.BlobDigest.Replace("sha256:", "sha256/", StringComparison.Ordinal)}";
        using var http = BlobDownload.NewClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tree.Token);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var downloads = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await BlobDownload.GetAsync(http, url);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(downloads);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Matches(published.Content), $"download {i}: {results[i]} (want {published.Size} bytes, "
                + $"{PublishedVersion.Sha256(published.Content)}){tree.Logs}");
        }
        var edge = await tree.EdgeApi.StatusAsync();
        var seeder = await tree.SeederApi.StatusAsync();
        Assert.True(edge.UpstreamFetches == chunks.Count,
            $"the edge fetched {edge.UpstreamFetches} chunks from the seeder for a blob of {chunks.Count}\n{edge}\n{seeder}{tree.Logs}");
        Assert.True(seeder.UpstreamFetches == chunks.Count,
            $"the seeder fetched {seeder.UpstreamFetches} chunks from the origin for a blob of {chunks.Count}\n{seeder}{tree.Logs}");
        Assert.Equal(published.Size, edge.BytesFetchedUpstream);
        Assert.Equal(published.Size, seeder.BytesFetchedUpstream);
        Assert.True(edge.CoalescedWaits > 0, $"20 concurrent cold requests at the edge, yet no coalesced wait\n{edge}");
        Assert.Equal(0, edge.VerificationFailures);
        Assert.True(edge.BytesServed >= 20 * published.Size, $"the edge served 20 × {published.Size} bytes\n{edge}");
        Assert.Equal("edge", edge.Mode);
        Assert.Equal("seeder", seeder.Mode);
    }

    [Fact]
    public async Task Through_a_throttled_upstream_the_first_bytes_reach_the_client_before_the_blob_is_fetched()
    {
        await using var tree = await TierTree.StartAsync(new TierTreeOptions { RelayEdgeToSeeder = true });
        var relay = tree.EdgeToSeeder!;
        var published = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/stream", 32 * MiB);
        var chunks = await tree.OriginApi.RecipeAsync(published.BlobDigest);
        // The seeder holds the blob first (one read through it), so the only slow hop is edge ← seeder, at 4 MiB/s:
        // about 8 s for the blob.
        using var http = BlobDownload.NewClient();
        var atSeeder = await BlobDownload.GetAsync(http, (await tree.SeederApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath]);
        Assert.True(atSeeder.Matches(published.Content), $"read through the seeder: {atSeeder}{tree.Logs}");
        relay.BytesPerSecond = 4 * MiB;

        var url = (await tree.EdgeApi.DownloadUrlsAsync(published.ArtifactDigest))[PublishedVersion.LayerPath];
        long relayedAtFirstChunk = -1, fetchedAtFirstChunk = -1;
        var download = await BlobDownload.GetAsync(http, url, progress: async received =>
        {
            if (relayedAtFirstChunk < 0 && received >= chunks[0].Length)
            {
                relayedAtFirstChunk = relay.DownstreamBytes;
                fetchedAtFirstChunk = (await tree.EdgeApi.StatusAsync()).BytesFetchedUpstream;
            }
        });

        Assert.True(download.Matches(published.Content), $"{download}{tree.Logs}");
        // The edge really fetched through the relay (else this test proves nothing).
        Assert.True(relay.DownstreamBytes >= published.Size,
            $"only {relay.DownstreamBytes} bytes crossed the relay set as tier.upstream_data_url; the blob is {published.Size}");
        Assert.True(relayedAtFirstChunk < published.Size,
            $"the client saw its first chunk ({chunks[0].Length} bytes) only after {relayedAtFirstChunk} of {published.Size} "
            + "bytes had come from the seeder: the edge does not stream while it fills");
        Assert.True(fetchedAtFirstChunk < published.Size,
            $"tier status said bytes_fetched_upstream = {fetchedAtFirstChunk} of {published.Size} when the client had its first chunk");
    }
}
