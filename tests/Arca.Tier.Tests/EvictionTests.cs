using Arca.Tier.Tests.Infrastructure;

namespace Arca.Tier.Tests;

/// <summary>An edge smaller than what it serves evicts chunks, but never one a running download still needs.</summary>
public sealed class EvictionTests
{
    private const int MiB = PublishedVersion.MiB;
    private const long Capacity = 24 * MiB;

    [Fact]
    public async Task Under_a_capacity_smaller_than_each_blob_concurrent_downloads_of_two_blobs_are_bit_exact()
    {
        await using var tree = await TierTree.StartAsync(new TierTreeOptions
        {
            Edge = new Dictionary<string, string>
            {
                ["cache.capacity"] = Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // A chunk over loopback takes milliseconds; a stuck download then fails in 20 s rather than the default 60.
                ["tier.fill_timeout_seconds"] = "20",
            },
        });
        var a = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/evict-a", 40 * MiB);
        var b = await PublishedVersion.PublishAsync(tree.OriginApi, "fanout/evict-b", 32 * MiB);
        var urls = new Dictionary<PublishedVersion, string>
        {
            [a] = (await tree.EdgeApi.DownloadUrlsAsync(a.ArtifactDigest))[PublishedVersion.LayerPath],
            [b] = (await tree.EdgeApi.DownloadUrlsAsync(b.ArtifactDigest))[PublishedVersion.LayerPath],
        };

        // Three downloads of each, started a little apart, so some begin while others are halfway and chunks churn.
        using var http = BlobDownload.NewClient();
        var downloads = new List<(PublishedVersion Blob, Task<BlobDownload> Result)>();
        foreach (var round in Enumerable.Range(0, 3))
        {
            foreach (var blob in new[] { a, b })
            {
                downloads.Add((blob, BlobDownload.GetAsync(http, urls[blob])));
            }
            await Task.Delay(300 * (round + 1));
        }
        var results = await Task.WhenAll(downloads.Select(d => d.Result)).WaitAsync(TimeSpan.FromSeconds(150));

        var edge = await tree.EdgeApi.StatusAsync();
        // What the edge says it holds of each blob (by its chunk index) must fit in what its packs store.
        var held = 0L;
        foreach (var blob in new[] { a, b })
        {
            held += (await tree.EdgeApi.StatusAsync(blob.Model, blob.Version)).Version(blob.Model, blob.Version)?.GetProperty("held_bytes").GetInt64() ?? 0;
        }
        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].Matches(downloads[i].Blob.Content),
                $"{downloads[i].Blob.Model}: {results[i]}\nheld_bytes of both versions: {held}\n{edge}{tree.Logs}");
        }
        Assert.True(held <= edge.UsedBytes, $"the edge says it holds {held} bytes of the two blobs but stores {edge.UsedBytes}\n{edge}");
        Assert.Equal(Capacity, edge.CapacityBytes);
        Assert.True(edge.Evictions > 0, $"72 MiB went through an edge of 24 MiB without an eviction\n{edge}");
        // Once no download holds chunks, the cache is back within its capacity.
        TierStatus? last = null;
        await Eventually.WaitAsync(async () => (last = await tree.EdgeApi.StatusAsync()).UsedBytes <= Capacity, TimeSpan.FromSeconds(15),
            () => $"the edge keeps more than its capacity with no download running: {last}");
    }
}
