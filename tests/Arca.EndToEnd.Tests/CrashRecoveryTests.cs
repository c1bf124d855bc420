using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Arca.EndToEnd.Tests;

/// <summary>
/// DESIGN §3: "a crash at any instant loses no committed version and leaves no half-written blob visible". A real
/// server is SIGKILLed in the middle of uploads and of commits, then restarted on the same data directory.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Small chunks and packs, so a few MB cross many chunk, segment and pack boundaries (and index checkpoints).</summary>
    private static readonly string[] StorageArgs =
    [
        "--set", "storage.chunk_min_bytes=16384", "--set", "storage.chunk_avg_bytes=65536",
        "--set", "storage.chunk_max_bytes=262144", "--set", "storage.pack_seal_bytes=16777216",
    ];

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "arca-e2e", Guid.NewGuid().ToString("N"));

    /// <summary>A blob the test tried to store: its content is regenerated from the seed when needed.</summary>
    private sealed record Attempt(int Seed, int Size, string Digest)
    {
        public bool Committed { get; set; }
    }

    private static byte[] Bytes(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Attempt NewAttempt(int seed, int size) => new(seed, size, Digest(Bytes(seed, size)));

    private static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static ByteArrayContent Octets(byte[] bytes) =>
        new(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    private static async Task PutAsync(HttpClient client, Attempt attempt, CancellationToken ct = default)
    {
        using var response = await client.PutAsync("/v1/blobs?digest=" + attempt.Digest, Octets(Bytes(attempt.Seed, attempt.Size)), ct);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            attempt.Committed = true;
        }
        else
        {
            Assert.Fail($"PUT {attempt.Digest}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    [Fact]
    public async Task Sigkill_MidUploadAndMidCommits_LosesNoCommittedBlob_AndShowsNoTornOne()
    {
        var total = Stopwatch.StartNew();
        var attempts = new List<Attempt>();
        var seed = 1;

        // 1. A few committed blobs of some MB.
        var server = await ArcaProcess.StartAsync(_dataDir, StorageArgs);
        try
        {
            using (var client = server.AdminClient())
            {
                foreach (var size in new[] { 3_000_000, 5_000_000, 2_000_001 })
                {
                    var a = NewAttempt(seed++, size);
                    await PutAsync(client, a);
                    attempts.Add(a);
                }
                await VerifyAsync(server, attempts, "after the first commits");

                // 2. Kill during a large monolithic upload and a resumable one.
                var session = await StartSessionAsync(client);
                // Its digest cannot match: the body is endless random bytes, cut by the kill.
                var large = Digest("never completes"u8);
                // Endless, not merely long: at ingest speed a 256 MiB body could be answered (400) before the kill.
                var sent = new SlowBody(seed++, 1L << 40);
                var inFlight = client.PutAsync("/v1/blobs?digest=" + large, sent);
                var patch = new SlowBody(seed++, 1L << 40);
                var patching = client.PatchAsync(session, patch);
                await sent.WaitForAsync(24 << 20, TimeSpan.FromSeconds(30));
                await patch.WaitForAsync(8 << 20, TimeSpan.FromSeconds(30));
                server.Kill();
                await Assert.ThrowsAnyAsync<Exception>(() => inFlight);
                await Assert.ThrowsAnyAsync<Exception>(() => patching);
                output.WriteLine($"killed mid-upload after {sent.Sent >> 20} MiB monolithic and {patch.Sent >> 20} MiB patched");

                await server.DisposeAsync();
                server = await ArcaProcess.StartAsync(_dataDir, StorageArgs);
                using var again = server.AdminClient();
                await VerifyAsync(server, attempts, "after the kill mid-upload");
                using (var gone = await again.GetAsync(session))
                {
                    Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
                }
                Assert.Empty(Directory.GetFiles(Path.Combine(_dataDir, "uploads")));
            }

            // 3. Kill in the middle of many concurrent commits, several times with different timings.
            var delays = new[] { 0, 40, 150, 400, 900 };
            for (var round = 0; round < delays.Length; round++)
            {
                var roundAttempts = await CommitUntilKilledAsync(server, seed, delays[round]);
                seed += 10_000;
                attempts.AddRange(roundAttempts);
                output.WriteLine($"round {round}: kill {delays[round]} ms after the third commit; " +
                    $"{roundAttempts.Count(a => a.Committed)} of {roundAttempts.Count} PUTs returned 201");

                await server.DisposeAsync();
                server = await ArcaProcess.StartAsync(_dataDir, StorageArgs);
                await VerifyAsync(server, attempts, $"after the kill in round {round}");
            }

            // 4. After all that the store still takes writes and still deduplicates against what it had.
            using (var client = server.AdminClient())
            {
                var fresh = NewAttempt(seed++, 1_500_000);
                await PutAsync(client, fresh);
                attempts.Add(fresh);
                var old = attempts.First(a => a.Committed);
                using var reput = await client.PutAsync("/v1/blobs?digest=" + old.Digest, Octets(Bytes(old.Seed, old.Size)));
                var body = await reput.Content.ReadAsStringAsync();
                Assert.True(reput.StatusCode == HttpStatusCode.Created, body);
                Assert.Contains("\"new_bytes\":0", body, StringComparison.Ordinal);
            }
            await VerifyAsync(server, attempts, "at the end");
            output.WriteLine($"{attempts.Count(a => a.Committed)} committed blobs verified; {total.Elapsed.TotalSeconds:F1} s");
        }
        catch
        {
            output.WriteLine("server output:\n" + server.Output);
            throw;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>
    /// The chunk index takes a (fold-over) checkpoint after every few thousand new chunks. A kill after one must
    /// recover it and re-index from the pack headers what was committed after it: both blobs come back bit-exact and
    /// the later one still deduplicates.
    /// </summary>
    [Fact]
    public async Task Sigkill_AfterAnIndexCheckpoint_RecoversItAndReindexesWhatCameAfter()
    {
        string[] tiny = ["--set", "storage.chunk_min_bytes=64", "--set", "storage.chunk_avg_bytes=128", "--set", "storage.chunk_max_bytes=256"];
        var checkpoints = Path.Combine(_dataDir, "chunks", "index", "checkpoints", "cpr-checkpoints");
        bool Checkpointed() =>
            Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "info.dat*", SearchOption.AllDirectories).Any();
        var attempts = new List<Attempt>();
        var server = await ArcaProcess.StartAsync(_dataDir, tiny);
        try
        {
            using (var client = server.AdminClient())
            {
                // About 8,000 chunks of ~150 bytes: past the 4,096 new entries that start a checkpoint.
                var first = NewAttempt(1, 1_200_000);
                await PutAsync(client, first);
                attempts.Add(first);
                var waited = Stopwatch.StartNew();
                while (!Checkpointed())
                {
                    Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "no index checkpoint after 8,000 new chunks");
                    await Task.Delay(20);
                }
                await Task.Delay(200); // let the checkpoint finish writing; a kill during it must be survived anyway
                // About 1,300 chunks after it: too few to start another checkpoint.
                var second = NewAttempt(2, 200_000);
                await PutAsync(client, second);
                attempts.Add(second);
            }
            server.Kill();
            await server.DisposeAsync();
            server = await ArcaProcess.StartAsync(_dataDir, tiny);
            await VerifyAsync(server, attempts, "after the kill that followed a checkpoint");
            using (var client = server.AdminClient())
            {
                foreach (var a in attempts)
                {
                    using var reput = await client.PutAsync("/v1/blobs?digest=" + a.Digest, Octets(Bytes(a.Seed, a.Size)));
                    var body = await reput.Content.ReadAsStringAsync();
                    Assert.True(reput.StatusCode == HttpStatusCode.Created, body);
                    Assert.Contains("\"new_bytes\":0", body, StringComparison.Ordinal);
                }
            }
        }
        catch
        {
            output.WriteLine("server output:\n" + server.Output);
            throw;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Workers PUT 1-4 MB blobs back to back; the server is killed <paramref name="delayMs"/> after the third 201.</summary>
    private static async Task<List<Attempt>> CommitUntilKilledAsync(ArcaProcess server, int firstSeed, int delayMs)
    {
        const int Workers = 10;
        var attempts = new ConcurrentBag<Attempt>();
        var committed = 0;
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = server.AdminClient();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(firstSeed + w);
            for (var i = 0; !stop.IsCancellationRequested && i < 50; i++)
            {
                var attempt = NewAttempt(firstSeed + (w * 100) + i, rng.Next(1_000_000, 4_000_001));
                attempts.Add(attempt);
                try
                {
                    await PutAsync(client, attempt, CancellationToken.None);
                }
                catch (HttpRequestException)
                {
                    return; // the server is gone
                }
                catch (TaskCanceledException)
                {
                    return;
                }
                if (Interlocked.Increment(ref committed) == 3)
                {
                    third.TrySetResult();
                }
            }
        })).ToList();

        await third.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(delayMs);
        server.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
        return [.. attempts];
    }

    private static async Task<string> StartSessionAsync(HttpClient client)
    {
        using var start = await client.PostAsync("/v1/blobs/uploads", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        var first = Bytes(424242, 3_000_000);
        using var patch = await client.PatchAsync(location, Octets(first));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        return location;
    }

    /// <summary>
    /// Every blob whose PUT returned 201 is there and bit-exact through the data plane; any other attempted blob is
    /// either absent or (its commit landed just before the kill) bit-exact; the server is ready.
    /// </summary>
    private async Task VerifyAsync(ArcaProcess server, IReadOnlyList<Attempt> attempts, string when)
    {
        using var client = server.AdminClient();
        using (var ready = await client.GetAsync("/readyz"))
        {
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{when}: /readyz is {(int)ready.StatusCode}");
        }
        using var data = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var landed = 0;
        foreach (var attempt in attempts.DistinctBy(a => a.Digest))
        {
            var committed = attempts.Any(a => a.Digest == attempt.Digest && a.Committed);
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/blobs/" + attempt.Digest));
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                Assert.False(committed, $"{when}: committed blob {attempt.Digest} ({attempt.Size} bytes) is missing");
                continue;
            }
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"{when}: HEAD {attempt.Digest} is {(int)head.StatusCode}");
            Assert.Equal(attempt.Size, head.Content.Headers.ContentLength);
            landed += committed ? 0 : 1;

            using var redirect = await client.GetAsync("/v1/blobs/" + attempt.Digest);
            Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
            using var bytes = await data.GetAsync(redirect.Headers.Location, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(bytes.StatusCode == HttpStatusCode.OK, $"{when}: data plane GET {attempt.Digest} is {(int)bytes.StatusCode}");
            await using var stream = await bytes.Content.ReadAsStreamAsync();
            var hash = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
            Assert.True(hash == attempt.Digest, $"{when}: blob {attempt.Digest} is served with bytes hashing to {hash}");
        }
        output.WriteLine($"{when}: {attempts.Count(a => a.Committed)} committed blobs intact, {landed} uncertain commits landed whole");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>
    /// A request body of pseudo-random bytes produced as it is sent (so a huge upload costs no memory), reporting
    /// how much went out.
    /// </summary>
    private sealed class SlowBody(int seed, long length) : HttpContent
    {
        private long _sent;

        public long Sent => Interlocked.Read(ref _sent);

        public async Task WaitForAsync(long bytes, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (Sent < bytes)
            {
                Assert.True(deadline.Elapsed < timeout, $"only {Sent} of {bytes} bytes went out within {timeout}");
                await Task.Delay(20);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Paced, so two bodies in flight both make progress and an endless one writes tens of MiB, not GBs, before
            // the kill (unpaced, one body's tight loop could hold the test's few thread-pool threads).
            const double BytesPerSecond = 64 << 20;
            var rng = new Random(seed);
            var buffer = new byte[256 * 1024];
            var clock = Stopwatch.StartNew();
            for (long offset = 0; offset < length; offset += buffer.Length)
            {
                rng.NextBytes(buffer);
                await stream.WriteAsync(buffer);
                var sent = Interlocked.Add(ref _sent, buffer.Length);
                var ahead = TimeSpan.FromSeconds(sent / BytesPerSecond) - clock.Elapsed;
                if (ahead > TimeSpan.Zero)
                {
                    await Task.Delay(ahead);
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false; // chunked: the server cannot know the size in advance
        }
    }
}
