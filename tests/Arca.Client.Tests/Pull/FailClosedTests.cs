namespace Arca.Client.Tests.Pull;

/// <summary>A pull that cannot prove its bytes exits 6 and leaves nothing at any final path.</summary>
[Collection(ProxiedDataPlaneCollection.Name)]
public sealed class FailClosedTests(ProxiedDataPlaneFixture fixture)
{
    [Fact]
    public async Task A_flipped_byte_in_the_store_fails_the_pull_with_exit_6_and_places_nothing()
    {
        fixture.ResetProxy();
        var source = ModelFiles.Create(new Dictionary<string, int> { ["weights.bin"] = 4 * ModelFiles.MiB });
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "broken/store", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        var (pack, offset) = Packs.Locate(fixture.Server.DataDir, File.ReadAllBytes(Path.Combine(source, "weights.bin")), 3 * ModelFiles.MiB / 2);
        Packs.FlipByte(pack, offset);
        try
        {
            foreach (var flags in new[] { Array.Empty<string>(), ["--no-verify-chunks"] })
            {
                var target = TempDir.Create("pulled");
                var pull = await client.RunAsync(["pull", "broken/store", target, .. flags]);
                Assert.True(pull.ExitCode == 6, pull.ToString());
                Assert.Contains("weights.bin", pull.Stderr, StringComparison.Ordinal);
                Assert.Contains(flags.Length == 0 ? "does not match its digest" : "sha256 mismatch", pull.Stderr, StringComparison.Ordinal);
                Assert.Contains("nothing was placed", pull.Stderr, StringComparison.Ordinal);
                AssertNothingPlaced(target, discarded: true);
                TempDir.Delete(target);
            }
        }
        finally
        {
            Packs.FlipByte(pack, offset);
        }

        // The control: with the store repaired the same pull succeeds.
        var repaired = TempDir.Create("pulled");
        var ok = await client.RunAsync("pull", "broken/store", repaired);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        ModelFiles.AssertSameFiles(source, repaired);
        TempDir.Delete(source);
        TempDir.Delete(repaired);
    }

    [Fact]
    public async Task A_data_plane_that_alters_bytes_fails_the_pull_with_exit_6_and_places_nothing()
    {
        fixture.ResetProxy();
        var source = ModelFiles.Create(new Dictionary<string, int>
        {
            ["a.bin"] = 3 * ModelFiles.MiB,
            ["sub/b.bin"] = 2 * ModelFiles.MiB + 1,
        });
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "broken/proxy", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        fixture.Proxy.Corrupt = true;
        foreach (var flags in new[] { Array.Empty<string>(), ["--no-verify-chunks"] })
        {
            var target = TempDir.Create("pulled");
            var pull = await client.RunAsync(["pull", "broken/proxy", target, .. flags]);
            Assert.True(pull.ExitCode == 6, pull.ToString());
            Assert.Contains("nothing was placed", pull.Stderr, StringComparison.Ordinal);
            AssertNothingPlaced(target, discarded: false);
            TempDir.Delete(target);
        }
        Assert.True(fixture.Proxy.CorruptedResponses > 0);

        fixture.ResetProxy();
        var honest = TempDir.Create("pulled");
        var ok = await client.RunAsync("pull", "broken/proxy", honest);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        ModelFiles.AssertSameFiles(source, honest);
        TempDir.Delete(source);
        TempDir.Delete(honest);
    }

    /// <summary>
    /// No file outside <c>DIR/.arca</c>; with <paramref name="discarded"/>, no unverified download kept either (layers
    /// merely cancelled by another's failure may keep a partial under <c>.arca/partial</c> to resume from).
    /// </summary>
    private static void AssertNothingPlaced(string target, bool discarded)
    {
        Assert.Empty(ModelFiles.List(target));
        var partial = Path.Combine(target, ".arca", "partial");
        if (discarded && Directory.Exists(partial))
        {
            Assert.Empty(Directory.GetFiles(partial));
        }
    }
}
