using System.Security.Cryptography;
using Arca.Storage.Blobs;
using Arca.Storage.Chunking;
using Arca.Storage.Shards;

namespace Arca.Storage.Tests.Blobs;

public sealed class ChunkStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-chunks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ChunkStoreOptions Options => new()
    {
        DataDir = _dir,
        Chunker = new ChunkerOptions(16 * 1024, 64 * 1024, 256 * 1024),
    };

    private static byte[] Random(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<IngestResult> Write(ChunkStore store, byte[] data, int piece = 100_000)
    {
        using var writer = store.OpenWriter();
        for (var i = 0; i < data.Length; i += piece)
        {
            await writer.AppendAsync(data.AsMemory(i, Math.Min(piece, data.Length - i)));
        }
        return (await writer.CompleteAsync())!;
    }

    private static byte[] ReadBack(ChunkStore store, IngestResult blob)
    {
        var output = new byte[blob.Size];
        long at = 0;
        foreach (var (file, offset, length) in store.Extents(blob.Chunks)!)
        {
            RandomAccess.Read(file, output.AsSpan((int)at, (int)length), offset);
            at += length;
        }
        return output;
    }

    [Fact]
    public async Task Write_ThenReadBackThroughExtents_IsBitExact()
    {
        var data = Random(3_000_000, 1);
        await using var store = ChunkStore.Open(Options);
        var blob = await Write(store, data);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), blob.Digest.Hex);
        Assert.Equal(data.Length, blob.Size);
        Assert.Equal(data.Length, blob.NewBytes);
        Assert.True(blob.Chunks.Count > 5);
        Assert.Equal(data, ReadBack(store, blob));
        // One blob written alone is contiguous: its bytes are one extent.
        Assert.Single(store.Extents(blob.Chunks)!);
    }

    [Fact]
    public async Task BlobsLargerThanTheWriteStages_AcrossSegmentsAndAnAbortedWrite_ReadBackBitExact()
    {
        // 11 MB at 64 KiB average chunks: several 128-chunk segments and several 4 MiB O_DIRECT stages per blob, each
        // segment starting at an offset that is not block-aligned; the aborted blob's space is overwritten by the next.
        var a = Random(11_000_000, 21);
        var aborted = Random(5_000_001, 22);
        var b = Random(9_999_999, 23);
        IngestResult first, second;
        await using (var store = ChunkStore.Open(Options))
        {
            first = await Write(store, a, piece: 1_234_567);
            using (var writer = store.OpenWriter())
            {
                await writer.AppendAsync(aborted);
                Assert.Null(await writer.CompleteAsync(ChunkDigest.Of(a)));
            }
            second = await Write(store, b, piece: 4_194_304);
            Assert.Equal(1, store.Shards.PackCount);
            Assert.Equal(a, ReadBack(store, first));
            Assert.Equal(b, ReadBack(store, second));
        }
        await using var reopened = ChunkStore.Open(Options);
        Assert.Equal(a, ReadBack(reopened, first));
        Assert.Equal(b, ReadBack(reopened, second));
        Assert.False(reopened.Contains(ChunkDigest.Of(aborted.AsSpan(0, 16 * 1024))));
    }

    [Theory]
    [InlineData(3_000_000)]   // shorter than one read buffer: appended inline
    [InlineData(21_000_017)]  // several buffers through the pipeline threads
    public async Task AppendFrom_AStreamInUnevenReads_StoresTheSameBlobAsAppend(int size)
    {
        var data = Random(size, 24);
        await using var store = ChunkStore.Open(Options);
        using var writer = store.OpenWriter();
        var appended = await writer.AppendFromAsync(new UnevenStream(data, seed: 5), null, CancellationToken.None);
        var blob = (await writer.CompleteAsync())!;

        Assert.Equal(new StreamAppend(size, null), appended);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), blob.Digest.Hex);
        Assert.Equal(data, ReadBack(store, blob));
        var again = await Write(store, data, piece: 777_777);
        Assert.Equal(blob.Chunks, again.Chunks);
    }

    [Fact]
    public async Task AppendFrom_StopsAtMaxBytes_AndLeavesTheRestUnread()
    {
        var data = Random(12_000_000, 25);
        await using var store = ChunkStore.Open(Options);
        using var source = new MemoryStream(data);
        using var writer = store.OpenWriter();
        var appended = await writer.AppendFromAsync(source, 9_500_000, CancellationToken.None);
        var blob = (await writer.CompleteAsync())!;

        Assert.Equal(9_500_000, appended.Bytes);
        Assert.Equal(9_500_000, source.Position);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(0, 9_500_000))), blob.Digest.Hex);
    }

    [Fact]
    public async Task AppendFrom_ASourceThatFailsMidway_KeepsEveryByteThatArrived()
    {
        var data = Random(14_000_000, 26);
        await using var store = ChunkStore.Open(Options);
        using var writer = store.OpenWriter();
        var appended = await writer.AppendFromAsync(new UnevenStream(data, seed: 6, failAt: 10_000_000), null, CancellationToken.None);

        Assert.Equal(10_000_000, appended.Bytes);
        Assert.IsType<IOException>(appended.SourceError);
        Assert.Equal(10_000_000, writer.Length);
        var blob = (await writer.CompleteAsync())!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(0, 10_000_000))), blob.Digest.Hex);
        Assert.Equal(data.AsSpan(0, 10_000_000).ToArray(), ReadBack(store, blob));
    }

    /// <summary>Returns between 1 byte and 300 KB per read, like a socket; optionally fails once it reached <c>failAt</c>.</summary>
    private sealed class UnevenStream(byte[] data, int seed, int failAt = int.MaxValue) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAt)
            {
                throw new IOException("connection reset");
            }
            var n = Math.Min(Math.Min(buffer.Length, _random.Next(1, 300_000)), Math.Min(data.Length, failAt) - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task IdenticalReupload_WritesNoNewChunkBytes()
    {
        var data = Random(2_000_000, 2);
        await using var store = ChunkStore.Open(Options);
        await Write(store, data);
        var packBytes = store.Shards.TotalBytes;

        var again = await Write(store, data, piece: 77_777);

        Assert.Equal(0, again.NewBytes);
        Assert.Equal(packBytes, store.Shards.TotalBytes);
    }

    [Fact]
    public async Task EditedCopy_StoresOnlyTheChangedRegion()
    {
        var data = Random(4_000_000, 3);
        var edited = data.Take(2_000_000).Concat(Random(5_000, 4)).Concat(data.Skip(2_000_000)).ToArray();
        await using var store = ChunkStore.Open(Options);
        await Write(store, data);

        var second = await Write(store, edited);

        Assert.True(second.NewBytes < 600_000, $"new bytes {second.NewBytes}");
        Assert.Equal(edited, ReadBack(store, second));
    }

    [Fact]
    public async Task DigestMismatch_IndexesNothing()
    {
        var data = Random(500_000, 5);
        await using var store = ChunkStore.Open(Options);
        using var writer = store.OpenWriter();
        await writer.AppendAsync(data);

        var result = await writer.CompleteAsync(ChunkDigest.Of([1, 2, 3]));

        Assert.Null(result);
        Assert.False(store.Contains(ChunkDigest.Of(data.AsSpan(0, 1000))));
        var blob = await Write(store, data);
        Assert.Equal(data.Length, blob.NewBytes); // nothing was indexed before
    }

    [Fact]
    public async Task DigestMismatch_KeepsTheEndedWriter_ARetryWithTheRightDigestCommitsTheSameBytes()
    {
        var data = Random(700_000, 15);
        var digest = ChunkDigest.Of(data);
        await using var store = ChunkStore.Open(Options);
        using var writer = store.OpenWriter();
        await writer.AppendAsync(data);
        Assert.Null(writer.Digest);

        Assert.Null(await writer.CompleteAsync(ChunkDigest.Of([1, 2, 3])));
        Assert.Equal(digest, writer.Digest);
        Assert.Equal(data.Length, writer.Length);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.AppendAsync(new byte[5]));
        Assert.False(store.Contains(ChunkDigest.Of(data.AsSpan(0, 1000))));

        var committed = await writer.CompleteAsync(digest);
        Assert.NotNull(committed);
        Assert.Equal(digest, committed.Digest);
        Assert.Equal(data.Length, committed.NewBytes);
        Assert.Equal(data, ReadBack(store, committed));
        var again = await Write(store, data);
        Assert.Equal(0, again.NewBytes); // indexed by the retry
    }

    [Fact]
    public async Task Reopen_RecoversIndexAndData()
    {
        var data = Random(1_500_000, 6);
        IngestResult blob;
        await using (var store = ChunkStore.Open(Options))
        {
            blob = await Write(store, data);
        }
        await using var reopened = ChunkStore.Open(Options);
        Assert.Equal(data, ReadBack(reopened, blob));
        Assert.Equal(0, (await Write(reopened, data)).NewBytes);
    }

    [Fact]
    public async Task AfterACleanStop_OpenReadsNoSegmentHeaders_AndStillServesAndDeduplicatesEverything()
    {
        var a = Random(1_000_000, 20);
        var b = Random(700_000, 21);
        IngestResult ba, bb;
        await using (var store = ChunkStore.Open(Options))
        {
            Assert.True(store.Scanned == 0 && store.Reindexed == 0); // empty
            ba = await Write(store, a);
            bb = await Write(store, b);
        }
        var marker = Path.Combine(Options.IndexDir, "indexed-ends");
        Assert.True(File.Exists(marker));

        await using var reopened = ChunkStore.Open(Options);
        Assert.False(File.Exists(marker)); // consumed: a crash of this run makes the next open scan everything
        Assert.Equal(0, reopened.Scanned);
        Assert.Equal(0, reopened.Reindexed);
        Assert.Equal(a, ReadBack(reopened, ba));
        Assert.Equal(b, ReadBack(reopened, bb));
        Assert.Equal(0, (await Write(reopened, b)).NewBytes);
    }

    [Fact]
    public async Task ACrashAfterACleanOpen_MakesTheNextOpenScanEveryPack()
    {
        var a = Random(900_000, 22);
        var c = Random(800_000, 23);
        await using (var store = ChunkStore.Open(Options))
        {
            await Write(store, a);
        }
        var image = Directory.CreateTempSubdirectory("arca-chunks-crash-").FullName;
        try
        {
            IngestResult ba, bc;
            await using (var store = ChunkStore.Open(Options))
            {
                Assert.Equal(0, store.Scanned);
                ba = await Write(store, a);
                bc = await Write(store, c);
                CopyDirectory(_dir, image); // what a crash now leaves on disk: no record of a clean stop
            }
            await using var crashed = ChunkStore.Open(Options with { DataDir = image });
            Assert.Equal(ba.Chunks.Count + bc.Chunks.Count, crashed.Scanned);
            Assert.Equal(a, ReadBack(crashed, ba));
            Assert.Equal(c, ReadBack(crashed, bc));
        }
        finally
        {
            Directory.Delete(image, recursive: true);
        }
    }

    [Fact]
    public async Task APackLeasedAtTheStop_IsScannedFromWhereItsWriterBegan()
    {
        var a = Random(600_000, 24);
        var pending = Random(12_000_000, 25); // well over one 128-chunk segment
        IngestResult ba;
        BlobWriter unfinished;
        await using (var store = ChunkStore.Open(Options))
        {
            ba = await Write(store, a);
            unfinished = store.OpenWriter(); // leases the pack a was written to, from a's end
            await unfinished.AppendAsync(pending);
        }
        await using var reopened = ChunkStore.Open(Options);
        Assert.InRange(reopened.Scanned, 128, pending.Length / (16 * 1024)); // the unfinished writer's segments only
        Assert.Equal(reopened.Scanned, reopened.Reindexed);
        Assert.Equal(a, ReadBack(reopened, ba));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "LOCK"))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    [Fact]
    public async Task LostIndex_IsRebuiltFromPackHeaders()
    {
        var a = Random(1_000_000, 7);
        var b = Random(1_200_000, 8);
        IngestResult ba, bb;
        await using (var store = ChunkStore.Open(Options))
        {
            ba = await Write(store, a);
            bb = await Write(store, b);
        }
        Directory.Delete(Options.IndexDir, recursive: true);

        await using var reopened = ChunkStore.Open(Options);
        Assert.Equal(ba.Chunks.Count + bb.Chunks.Count, reopened.Reindexed);
        Assert.Equal(a, ReadBack(reopened, ba));
        Assert.Equal(b, ReadBack(reopened, bb));
    }

    [Fact]
    public async Task TornTail_IsTruncatedAndCommittedBlobsSurvive()
    {
        var data = Random(1_000_000, 9);
        IngestResult blob;
        string pack;
        long validEnd;
        await using (var store = ChunkStore.Open(Options))
        {
            blob = await Write(store, data);
            validEnd = store.Shards.TotalBytes;
            pack = Directory.GetFiles(Options.ShardDir, "*.pack").Single();
        }
        // A crash mid-write leaves bytes after the last valid segment (a reserved header and partial data).
        await using (var f = new FileStream(pack, FileMode.Append))
        {
            f.Write(Random(PackFormat.SegmentHeaderSize + 12345, 10));
        }

        await using var reopened = ChunkStore.Open(Options);
        Assert.Equal(validEnd, new FileInfo(pack).Length);
        Assert.Equal(data, ReadBack(reopened, blob));
        var next = await Write(reopened, Random(300_000, 11));
        Assert.Equal(300_000, next.NewBytes);
    }

    [Fact]
    public async Task ConcurrentWriters_UseSeparatePacks_AndAllBlobsReadBack()
    {
        await using var store = ChunkStore.Open(Options);
        var inputs = Enumerable.Range(0, 6).Select(i => Random(700_000, 100 + i)).ToArray();
        var blobs = await Task.WhenAll(inputs.Select(d => Task.Run(() => Write(store, d, 50_000))));
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(inputs[i], ReadBack(store, blobs[i]));
        }
    }

    [Fact]
    public async Task RebuildWithVerify_LeavesOutCorruptChunks()
    {
        var data = Random(1_000_000, 12);
        IngestResult blob;
        await using (var store = ChunkStore.Open(Options))
        {
            blob = await Write(store, data);
        }
        var pack = Directory.GetFiles(Options.ShardDir, "*.pack").Single();
        using (var f = new FileStream(pack, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = PackFormat.FileHeaderSize + PackFormat.SegmentHeaderSize + 10; // inside the first chunk
            var b = f.ReadByte();
            f.Position--;
            f.WriteByte((byte)(b ^ 0xFF));
        }

        await using var rebuilt = ChunkStore.Rebuild(Options, verify: true, out var corrupt);

        Assert.Equal(1, corrupt);
        Assert.Equal(blob.Chunks.Count - 1, rebuilt.Reindexed);
        Assert.False(rebuilt.Contains(blob.Chunks[0].Digest));
        Assert.True(rebuilt.Contains(blob.Chunks[1].Digest));
    }

    [Fact]
    public async Task SecondOpenOfTheSameDataDir_FailsFast()
    {
        await using var store = ChunkStore.Open(Options);
        var e = Assert.Throws<IOException>(() => ChunkStore.Open(Options));
        Assert.Contains("in use by another arca process", e.Message, StringComparison.Ordinal);
    }
}
