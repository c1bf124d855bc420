using System.Diagnostics;
using System.Text.Json;

namespace Arca.Client.Tests.Sync;

[Collection(RegistryCollection.Name)]
public sealed class SyncTests(RegistryFixture fixture)
{
    private static readonly TimeSpan FlipTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Sync_flips_current_atomically_and_a_rollback_within_the_grace_period_downloads_nothing()
    {
        // Two versions with different files and file counts; all sizes differ, so a mix cannot pass for either.
        var sourceA = ModelFiles.Create(new Dictionary<string, int>
        {
            ["config.json"] = 1_001,
            ["model.bin"] = 3 * ModelFiles.MiB + 11,
            ["tokenizer/vocab.txt"] = 200_003,
        });
        var sourceB = ModelFiles.Create(new Dictionary<string, int>
        {
            ["config.json"] = 1_502,
            ["model.bin"] = 2 * ModelFiles.MiB + 7,
            ["extra/head.bin"] = 700_009,
            ["extra/deep/tail.bin"] = 90_001,
        });
        var expectedA = ModelFiles.List(sourceA);
        var expectedB = ModelFiles.List(sourceB);
        using var client = fixture.Client();
        var (versionA, digestA) = await PushAsync(client, sourceA);
        var (versionB, digestB) = await PushAsync(client, sourceB);
        await fixture.Server.PromoteAsync("team/synced", "prod", versionA);

        var root = TempDir.Create("sync");
        var current = Path.Combine(root, "current");
        using var sync = client.Start("sync", "team/synced@prod", root, "--interval", "1s", "--json");
        var log = new SyncLog(sync);
        try
        {
            await log.WaitForFlipAsync(digestA, FlipTimeout);

            // A reader resolves the symlink once per iteration and lists what it points to, as a model server would.
            var stop = 0;
            string? violation = null;
            int seenA = 0, seenB = 0;
            var reader = new Thread(() =>
            {
                while (Volatile.Read(ref stop) == 0 && violation is null)
                {
                    var link = new FileInfo(current).LinkTarget;
                    if (link is null)
                    {
                        violation = "current is not a symlink";
                        break;
                    }
                    SortedDictionary<string, long> listing;
                    try
                    {
                        listing = ModelFiles.List(Path.Combine(root, link), includeArca: true);
                    }
                    catch (IOException e)
                    {
                        violation = $"{link}: {e.Message}";
                        break;
                    }
                    if (listing.SequenceEqual(expectedA))
                    {
                        seenA++;
                    }
                    else if (listing.SequenceEqual(expectedB))
                    {
                        seenB++;
                    }
                    else
                    {
                        violation = $"{link}: " + string.Join(", ", listing.Select(f => $"{f.Key}={f.Value}"));
                    }
                }
            }) { IsBackground = true };
            reader.Start();

            // Forward to B (a fetch), back to A (a rollback: a flip only), and around once more.
            foreach (var (version, digest) in new[] { (versionB, digestB), (versionA, digestA), (versionB, digestB), (versionA, digestA) })
            {
                var fetchesBefore = log.Count("fetch");
                var alreadyOnDisk = Directory.Exists(Path.Combine(root, "versions", digest.Replace(':', '-')));
                await fixture.Server.PromoteAsync("team/synced", "prod", version);
                await log.WaitForFlipAsync(digest, FlipTimeout);
                Assert.Equal(alreadyOnDisk ? fetchesBefore : fetchesBefore + 1, log.Count("fetch"));
                Assert.True(violation is null, "the reader saw neither version's file set: " + violation);
            }
            Volatile.Write(ref stop, 1);
            Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "the reader did not stop");
            Assert.True(violation is null, "the reader saw neither version's file set: " + violation);
            Assert.True(seenA > 0 && seenB > 0, $"the reader saw A {seenA} and B {seenB} times");

            // One download per version in all; both stay on disk (grace period), current is A, byte for byte.
            Assert.Equal(2, log.Count("fetch"));
            Assert.Equal(5, log.Count("flip"));
            Assert.Equal(0, log.Count("remove"));
            // A reader that resolved current just before a flip goes on reading the previous version's directory:
            // it too must hold exactly that version's files.
            Assert.Equal(expectedB, ModelFiles.List(Path.Combine(root, "versions", digestB.Replace(':', '-')), includeArca: true));
            ModelFiles.AssertSameFiles(sourceA, current);
            Assert.Equal(expectedA, ModelFiles.List(current, includeArca: true));
        }
        finally
        {
            if (!sync.HasExited)
            {
                sync.Kill(entireProcessTree: true);
            }
            sync.WaitForExit(TimeSpan.FromSeconds(15));
        }
        TempDir.Delete(root);
        TempDir.Delete(sourceA);
        TempDir.Delete(sourceB);
    }

    private static async Task<(long Version, string Digest)> PushAsync(ArcaCli client, string source)
    {
        var push = await client.RunAsync("push", source, "--model", "team/synced", "--json");
        Assert.True(push.ExitCode == 0, push.ToString());
        return (push.Json.GetProperty("version").GetInt64(), push.Json.GetProperty("artifact_digest").GetString()!);
    }

    /// <summary>The <c>--json</c> event lines of a running <c>arca sync</c>, collected as they come.</summary>
    private sealed class SyncLog
    {
        private readonly List<JsonElement> _events = [];
        private readonly List<string> _lines = [];
        private readonly Process _process;

        public SyncLog(Process process)
        {
            _process = process;
            _ = Task.Run(() => CollectAsync(process.StandardOutput, json: true));
            _ = Task.Run(() => CollectAsync(process.StandardError, json: false));
        }

        private async Task CollectAsync(StreamReader reader, bool json)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_events)
                {
                    _lines.Add(line);
                    if (json)
                    {
                        _events.Add(Json.Parse(line));
                    }
                }
            }
        }

        public int Count(string kind)
        {
            lock (_events)
            {
                return _events.Count(e => e.GetProperty("kind").GetString() == kind);
            }
        }

        private string Text
        {
            get
            {
                lock (_events)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        /// <summary>Waits for the latest flip to be to <paramref name="digest"/>.</summary>
        public Task WaitForFlipAsync(string digest, TimeSpan timeout) => Eventually.WaitAsync(() =>
        {
            Assert.False(_process.HasExited, "arca sync exited:\n" + Text);
            lock (_events)
            {
                return _events.LastOrDefault(e => e.GetProperty("kind").GetString() == "flip") is { ValueKind: JsonValueKind.Object } flip
                    && flip.GetProperty("digest").GetString() == digest;
            }
        }, timeout, () => $"no flip to {digest}; sync said:\n{Text}");
    }
}
