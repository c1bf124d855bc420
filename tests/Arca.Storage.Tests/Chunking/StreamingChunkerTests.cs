using System.Security.Cryptography;
using Arca.Storage.Chunking;

namespace Arca.Storage.Tests.Chunking;

public sealed class StreamingChunkerTests
{
    [Theory]
    [InlineData(1, "mixed")]
    [InlineData(2, "mixed")]
    [InlineData(3, "tiny")]
    [InlineData(4, "large")]
    [InlineData(5, "whole")]
    public void Append_RandomlySizedPieces_YieldsTheChunksOfTheWholeStream(int seed, string pieces)
    {
        var cdc = new FastCdc(new ChunkerOptions());
        byte[] data = TestData.RandomBytes(pieces == "tiny" ? 9 * 1024 * 1024 + 17 : 40 * 1024 * 1024 + 17, (ulong)seed);
        var expected = TestData.Chunks(cdc, data);
        var random = new Random(seed);

        var actual = new List<TestData.Chunk>();
        long offset = 0;
        void OnChunk(ReadOnlySpan<byte> chunk)
        {
            Assert.InRange(chunk.Length, 1, cdc.Options.MaxSize);
            actual.Add(new TestData.Chunk(offset, chunk.Length, Convert.ToHexString(SHA256.HashData(chunk))));
            offset += chunk.Length;
        }

        using var chunker = new StreamingChunker(cdc);
        int position = 0;
        while (position < data.Length)
        {
            int size = pieces switch
            {
                "tiny" => random.Next(0, 4096),
                "large" => random.Next(1, 9 * 1024 * 1024),
                "whole" => data.Length,
                _ => random.Next(4) switch
                {
                    0 => random.Next(0, 64),
                    1 => random.Next(1, 64 * 1024),
                    2 => random.Next(1, 1024 * 1024),
                    _ => random.Next(1, 6 * 1024 * 1024),
                },
            };
            size = Math.Min(size, data.Length - position);
            chunker.Append(data.AsSpan(position, size), OnChunk);
            position += size;
            Assert.Equal(position, chunker.BytesAppended);
            Assert.True(position - offset < cdc.Options.MaxSize, "At most MaxSize - 1 bytes stay pending.");
        }

        chunker.Complete(OnChunk);

        Assert.Equal(expected, actual);
        Assert.Equal(data.Length, chunker.BytesAppended);
    }

    [Fact]
    public void Complete_WithNothingAppended_EmitsNothing()
    {
        using var chunker = new StreamingChunker(new FastCdc(new ChunkerOptions()));
        int count = 0;

        chunker.Complete(_ => count++);

        Assert.Equal(0, count);
        Assert.Equal(0, chunker.BytesAppended);
    }

    [Fact]
    public void Complete_InputSmallerThanMinSize_EmitsOneChunk()
    {
        using var chunker = new StreamingChunker(new FastCdc(new ChunkerOptions()));
        byte[] data = TestData.RandomBytes(1000, seed: 1);
        var lengths = new List<int>();

        chunker.Append(data.AsSpan(0, 400), chunk => lengths.Add(chunk.Length));
        chunker.Append(data.AsSpan(400), chunk => lengths.Add(chunk.Length));
        Assert.Empty(lengths);

        byte[]? emitted = null;
        chunker.Complete(chunk => emitted = chunk.ToArray());

        Assert.Equal(data, emitted);
    }

    [Fact]
    public void AppendOrComplete_AfterComplete_Throws()
    {
        using var chunker = new StreamingChunker(new FastCdc(TestData.SmallOptions));
        chunker.Complete(_ => { });

        Assert.Throws<InvalidOperationException>(() => chunker.Append(new byte[10], _ => { }));
        Assert.Throws<InvalidOperationException>(() => chunker.Complete(_ => { }));
    }

    [Fact]
    public void Append_AfterDispose_Throws()
    {
        var chunker = new StreamingChunker(new FastCdc(TestData.SmallOptions));
        chunker.Dispose();
        chunker.Dispose();

        Assert.Throws<ObjectDisposedException>(() => chunker.Append(new byte[10], _ => { }));
    }
}
