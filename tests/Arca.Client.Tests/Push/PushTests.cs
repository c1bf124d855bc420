using Arca.Client.Transfer;

namespace Arca.Client.Tests.Push;

[Collection(RegistryCollection.Name)]
public sealed class PushTests(RegistryFixture fixture)
{
    [Fact]
    public async Task Pushing_the_same_directory_again_uploads_nothing_and_finds_the_same_version()
    {
        var source = ModelFiles.Checkpoint(bigBytes: 8 * ModelFiles.MiB);
        var total = ModelFiles.List(source).Values.Sum();
        using var client = fixture.Client();
        var first = await client.RunAsync("push", source, "--model", "team/again", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(total, first.Json.GetProperty("bytes_uploaded").GetInt64());

        // The same machine (digest cache warm), then another one (hashes afresh and asks the registry).
        using var other = fixture.Client();
        foreach (var machine in new[] { client, other })
        {
            var again = await machine.RunAsync("push", source, "--model", "team/again", "--json");
            Assert.True(again.ExitCode == 0, again.ToString());
            var json = again.Json;
            Assert.Equal(0, json.GetProperty("bytes_uploaded").GetInt64());
            Assert.Equal(0, json.GetProperty("layers_uploaded").GetInt32());
            Assert.Equal(total, json.GetProperty("bytes_skipped").GetInt64());
            Assert.False(json.GetProperty("created").GetBoolean());
            Assert.Equal(first.Json.GetProperty("version").GetInt64(), json.GetProperty("version").GetInt64());
            Assert.Equal(first.Json.GetProperty("artifact_digest").GetString(), json.GetProperty("artifact_digest").GetString());
        }
        TempDir.Delete(source);
    }

    [Fact]
    public async Task A_push_killed_midway_resumes_without_sending_acknowledged_bytes_again()
    {
        var source = ModelFiles.Checkpoint();
        var big = new FileInfo(Path.Combine(source, "model.safetensors"));
        var total = ModelFiles.List(source).Values.Sum();
        await using var relay = new TcpRelay(new Uri(fixture.Server.ControlUrl).Port);
        using var client = fixture.Client();
        client.Url = relay.Url;

        // The small files are ~10 MiB in all: past 20 MiB the big file is well under way. There the relay stops
        // forwarding, so the push is certainly still running when it is killed.
        relay.PauseAfter = 20 << 20;
        using (var push = client.Start("push", source, "--model", "team/interrupted", "--json"))
        {
            await Eventually.WaitAsync(() => relay.Paused || push.HasExited, TimeSpan.FromSeconds(90),
                () => $"only {relay.UpstreamBytes} bytes reached the registry");
            if (push.HasExited)
            {
                // The registry may have given up on the stalled request first: the push failed, which interrupts it
                // just as well. It must not have succeeded.
                Assert.True(push.ExitCode != 0, "the push finished before it could be interrupted");
            }
            else
            {
                push.Kill(entireProcessTree: true);
                Assert.True(push.WaitForExit(TimeSpan.FromSeconds(15)), "the killed push did not exit");
            }
        }
        relay.DropConnections();

        // What the registry acknowledged for the big file before the kill (the session unlocks once the
        // interrupted request has ended).
        var location = new ClientCache(client.CacheDir).UploadSession(big, relay.Url + "/");
        Assert.NotNull(location);
        var acknowledged = await fixture.Server.UploadOffsetAsync(location);
        Assert.True(acknowledged is > 0, $"the registry kept nothing of the interrupted upload ({acknowledged})");
        Assert.True(acknowledged < big.Length);

        relay.PauseAfter = 0;
        relay.ResetCount();
        var rerun = await client.RunAsync("push", source, "--model", "team/interrupted", "--json");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        var json = rerun.Json;
        Assert.True(json.GetProperty("created").GetBoolean());
        var uploaded = json.GetProperty("bytes_uploaded").GetInt64();
        Assert.True(uploaded <= total - acknowledged.Value,
            $"re-sent acknowledged bytes: uploaded {uploaded} of {total}, the registry already had {acknowledged} of {big.Name}");
        Assert.True(json.GetProperty("bytes_skipped").GetInt64() >= acknowledged.Value);
        // Independent of what the client reports: what actually crossed the wire (plus headers and JSON).
        Assert.True(relay.UpstreamBytes <= total - acknowledged.Value + (256 << 10),
            $"{relay.UpstreamBytes} bytes went to the registry on the rerun; at most {total - acknowledged.Value} were missing");
        Assert.Null(new ClientCache(client.CacheDir).UploadSession(big, relay.Url + "/"));

        var target = TempDir.Create("pulled");
        var pull = await client.RunAsync("pull", "team/interrupted", target, "--json", "--url", fixture.Server.ControlUrl);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        ModelFiles.AssertSameFiles(source, target);
        TempDir.Delete(source);
        TempDir.Delete(target);
    }
}
