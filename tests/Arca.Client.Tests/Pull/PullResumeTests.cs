using System.Globalization;

namespace Arca.Client.Tests.Pull;

[Collection(ProxiedDataPlaneCollection.Name)]
public sealed class PullResumeTests(ProxiedDataPlaneFixture fixture)
{
    [Fact]
    public async Task A_pull_killed_midway_resumes_from_the_verified_prefix_and_is_bit_exact()
    {
        fixture.ResetProxy();
        var source = ModelFiles.Create(new Dictionary<string, int>
        {
            ["config.json"] = 2_000,
            ["weights/model.bin"] = 40 * ModelFiles.MiB,
        });
        var total = ModelFiles.List(source).Values.Sum();
        var target = TempDir.Create("pulled");
        using var client = fixture.Client();
        var push = await client.RunAsync("push", source, "--model", "resume/pull", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());

        var partialDir = Path.Combine(target, ".arca", "partial");
        // One stream of 16 MiB pieces; the data plane stalls halfway through the second piece, so the first is
        // verified and recorded in the .state file while the pull is certainly still running.
        fixture.Proxy.PauseAfter = 24 << 20;
        using (var pull = client.Start("pull", "resume/pull", target, "--streams", "1", "--json"))
        {
            // Both: the first piece verified, and the second one's request stalled in the proxy (counted in this
            // generation of the proxy's counters, so the reset below abandons it).
            await Eventually.WaitAsync(() => (VerifiedPrefix(partialDir) > 0 && fixture.Proxy.BodyBytes >= fixture.Proxy.PauseAfter)
                    || pull.HasExited, TimeSpan.FromSeconds(90),
                () => $"no .state file with a verified prefix appeared under {partialDir}, or the proxy did not stall (sent {fixture.Proxy.BodyBytes} bytes)");
            if (pull.HasExited)
            {
                Assert.Fail($"the pull ended (exit {pull.ExitCode}) before it could be interrupted: {await pull.StandardError.ReadToEndAsync()}");
            }
            pull.Kill(entireProcessTree: true);
            Assert.True(pull.WaitForExit(TimeSpan.FromSeconds(15)), "the killed pull did not exit");
        }
        var prefix = VerifiedPrefix(partialDir);
        Assert.InRange(prefix, 1, 40 * ModelFiles.MiB - 1);
        Assert.False(File.Exists(Path.Combine(target, "weights", "model.bin")), "a partial file appeared at its final path");

        fixture.ResetProxy();
        var rerun = await client.RunAsync("pull", "resume/pull", target, "--json");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        var json = rerun.Json;
        var fetched = json.GetProperty("bytes_fetched").GetInt64();
        var inPlace = json.GetProperty("bytes_in_place").GetInt64();
        Assert.Equal(total, fetched + inPlace);
        Assert.True(inPlace >= prefix, $"the rerun counted {inPlace} bytes in place, the verified prefix was {prefix}");
        // What really crossed the data plane: only what the interrupted run had not verified.
        Assert.Equal(fetched, fixture.Proxy.BodyBytes);
        Assert.True(fixture.Proxy.BodyBytes <= total - prefix);

        ModelFiles.AssertSameFiles(source, target);
        Assert.Empty(Directory.GetFiles(partialDir));
        TempDir.Delete(source);
        TempDir.Delete(target);
    }

    /// <summary>The largest verified prefix recorded in a <c>.state</c> file of the partial downloads, or 0.</summary>
    private static long VerifiedPrefix(string partialDir)
    {
        if (!Directory.Exists(partialDir))
        {
            return 0;
        }
        long best = 0;
        foreach (var state in Directory.GetFiles(partialDir, "*.state"))
        {
            try
            {
                if (long.TryParse(File.ReadAllText(state), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                {
                    best = Math.Max(best, v);
                }
            }
            catch (IOException)
            {
                // Replaced while we read it; the next poll sees the new one.
            }
        }
        return best;
    }
}
