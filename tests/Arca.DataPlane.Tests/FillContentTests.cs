using System.Net;
using System.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane.Tests;

/// <summary>
/// Content a read-through tier is still filling (<see cref="IContentFill"/>): the data plane sends each chunk as soon
/// as the source has it (cut-through), ranges work at any offset, a chunk that never comes ends the response short
/// (never wrong bytes), every acquired chunk is released, and misses go through the source's asynchronous lookup.
/// </summary>
public sealed class FillContentTests : IAsyncDisposable
{
    private const int ChunkBytes = 256 << 10;
    private const int Chunks = 8;
    private static readonly string ColdHex = new('a', 64);
    private static readonly string AbsentHex = new('b', 64);
    private static readonly string FailingHex = new('c', 64);

    private readonly string _dir = Directory.CreateTempSubdirectory("arca-fill-").FullName;
    private readonly byte[] _bytes = new byte[ChunkBytes * Chunks - 1000];
    private readonly FillingSource _source;
    private readonly DataPlaneListener _listener;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public FillContentTests()
    {
        new Random(7).NextBytes(_bytes);
        var path = Path.Combine(_dir, "pack");
        File.WriteAllBytes(path, [.. new byte[4096], .. _bytes]);
        _source = new FillingSource(File.OpenHandle(path), _bytes.Length);
        _listener = new DataPlaneListener(new DataPlaneOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) }, _source,
            UrlSigner.LoadOrCreate(Path.Combine(_dir, "key"), TimeProvider.System), new AnyToken(), TimeProvider.System);
        _listener.Start();
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
    }

    private string Url(string hex) => $"http://127.0.0.1:{_listener.LocalEndPoint.Port}/blobs/sha256/{hex}";

    [Fact]
    public async Task A_cold_blob_streams_each_chunk_as_it_arrives()
    {
        _source.Release(0);
        using var response = await _http.GetAsync(Url(ColdHex), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_bytes.Length, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new byte[_bytes.Length];
        // Chunk 0 arrives while chunk 1 is still being "fetched": the client already has the first chunk's bytes.
        await ReadExactlyAsync(body, received, 0, ChunkBytes);
        Assert.False(_source.IsReleased(1)); // so these bytes went out before chunk 1 existed
        Assert.Equal(_bytes.AsSpan(0, ChunkBytes).ToArray(), received.AsSpan(0, ChunkBytes).ToArray());
        for (var i = 1; i < Chunks; i++)
        {
            _source.Release(i);
        }
        await ReadExactlyAsync(body, received, ChunkBytes, _bytes.Length - ChunkBytes);
        Assert.Equal(_bytes, received);
        Assert.Equal(0, await body.ReadAsync(new byte[1]));
        Assert.Equal(1, _source.MissLookups);
        await Eventually(() => _source.Pinned == 0);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(ChunkBytes - 10, ChunkBytes + 10)]            // across a chunk boundary
    [InlineData(3 * ChunkBytes + 5, 6 * ChunkBytes + 7)]      // several whole chunks, mid-chunk ends
    [InlineData(ChunkBytes * Chunks - 2000, ChunkBytes * Chunks - 1001)] // the short last chunk
    public async Task Ranges_of_a_filling_blob_get_the_right_bytes(long first, long last)
    {
        _source.ReleaseAll();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(ColdHex));
        request.Headers.Range = new RangeHeaderValue(first, last);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/{_bytes.Length}", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(_bytes.AsSpan((int)first, (int)(last - first + 1)).ToArray(), await response.Content.ReadAsByteArrayAsync());
        await Eventually(() => _source.Pinned == 0);
    }

    [Fact]
    public async Task A_chunk_that_never_comes_ends_the_response_short_and_closes()
    {
        _source.ReleaseAll();
        using var response = await _http.GetAsync(Url(FailingHex), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var error = await Record.ExceptionAsync(() => body.CopyToAsync(received));
        Assert.NotNull(error); // the connection closed before Content-Length
        Assert.True(received.Length < _bytes.Length);
        Assert.Equal(_bytes.AsSpan(0, (int)received.Length).ToArray(), received.ToArray()); // what came is right
        await Eventually(() => _source.Pinned == 0);
    }

    [Fact]
    public async Task A_miss_the_source_cannot_resolve_is_404_and_a_failing_lookup_502()
    {
        using var absent = await _http.GetAsync(Url(AbsentHex));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        using var broken = await _http.GetAsync(Url(new string('d', 64)));
        Assert.Equal(HttpStatusCode.BadGateway, broken.StatusCode);
    }

    [Fact]
    public async Task A_repair_request_for_a_held_chunk_goes_to_the_source_with_the_flag()
    {
        using var response = await _http.GetAsync($"http://127.0.0.1:{_listener.LocalEndPoint.Port}/chunks/sha256/{ColdHex}?repair=1");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // this source has no chunks
        Assert.Equal(1, _source.RepairLookups);
    }

    private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, int offset, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.ReadExactlyAsync(buffer.AsMemory(offset, count), timeout.Token);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(condition());
    }

    public async ValueTask DisposeAsync()
    {
        _source.ReleaseAll();
        await _listener.DisposeAsync();
        _http.Dispose();
        _source.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class AnyToken : IBearerAuthorizer
    {
        public bool Allows(string bearerToken) => true;
    }

    /// <summary>One blob of <see cref="Chunks"/> chunks whose arrival the test controls; another whose chunk 2 fails.</summary>
    private sealed class FillingSource(SafeFileHandle file, long length) : IContentSource, IDisposable
    {
        private readonly TaskCompletionSource[] _arrived = [.. Enumerable.Range(0, Chunks).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        private readonly bool[] _acquired = new bool[Chunks];
        private int _pinned;
        private int _missLookups;
        private int _repairLookups;

        private SafeFileHandle File => file;

        private long Length => length;

        public int Pinned => Volatile.Read(ref _pinned);

        public int MissLookups => Volatile.Read(ref _missLookups);

        public int RepairLookups => Volatile.Read(ref _repairLookups);

        public bool ResolvesMisses => true;

        public void Release(int chunk) => _arrived[chunk].TrySetResult();

        public void ReleaseAll()
        {
            for (var i = 0; i < Chunks; i++)
            {
                Release(i);
            }
        }

        public bool IsReleased(int chunk) => _arrived[chunk].Task.IsCompleted;

        public bool Acquired(int chunk) => Volatile.Read(ref _acquired[chunk]);

        public ContentLayout? Lookup(ContentKind kind, string hexDigest) => null;

        public ValueTask<ContentLayout?> LookupMissAsync(ContentKind kind, string hexDigest, bool repair, CancellationToken ct)
        {
            Interlocked.Increment(ref _missLookups);
            if (repair)
            {
                Interlocked.Increment(ref _repairLookups);
            }
            if (hexDigest == new string('d', 64))
            {
                throw new IOException("upstream unreachable");
            }
            if (kind != ContentKind.Blob || hexDigest == AbsentHex)
            {
                return ValueTask.FromResult<ContentLayout?>(null);
            }
            return ValueTask.FromResult<ContentLayout?>(new ContentLayout(length, []) { Fill = new View(this, failAt: hexDigest == FailingHex ? 2 : -1) });
        }

        public void Dispose() => file.Dispose();

        private sealed class View(FillingSource owner, int failAt) : IContentFill
        {
            public IReadOnlyList<long> ChunkStarts { get; } = [.. Enumerable.Range(0, Chunks).Select(i => (long)i * ChunkBytes)];

            public async ValueTask<ContentExtent> AcquireAsync(int index, CancellationToken ct)
            {
                if (index == failAt)
                {
                    throw new TimeoutException("chunk never came");
                }
                await owner._arrived[index].Task;
                Volatile.Write(ref owner._acquired[index], true);
                Interlocked.Increment(ref owner._pinned);
                var start = (long)index * ChunkBytes;
                return new ContentExtent(owner.File, 4096 + start, Math.Min(ChunkBytes, owner.Length - start));
            }

            public void Release(int index) => Interlocked.Decrement(ref owner._pinned);
        }
    }
}
