using System.Buffers.Binary;
using System.Security.Cryptography;
using Arca.Storage.Chunking;

namespace Arca.Storage.Tests.Chunking;

/// <summary>Deterministic inputs and chunking helpers shared by the chunking tests.</summary>
internal static class TestData
{
    /// <summary>Small bounds so a few MiB give thousands of chunks.</summary>
    public static readonly ChunkerOptions SmallOptions = new(MinSize: 2 * 1024, AvgSize: 8 * 1024, MaxSize: 64 * 1024);

    /// <summary>
    /// Pseudo-random bytes from SplitMix64, our own generator so that golden values never depend on the runtime's
    /// <see cref="Random"/> implementation.
    /// </summary>
    public static byte[] RandomBytes(int length, ulong seed)
    {
        var bytes = new byte[length];
        var state = seed;
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, SplitMix64(ref state));
            word[..Math.Min(8, length - i)].CopyTo(bytes.AsSpan(i));
        }

        return bytes;
    }

    public static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>Chunk lengths of a whole stream (its lead cut by <see cref="FastCdc.LeadBoundary"/>), each call told the input is final.</summary>
    public static List<int> ChunkLengths(FastCdc cdc, ReadOnlySpan<byte> data) => Lengths(cdc, data, stream: true);

    /// <summary>Content-defined boundaries only: every chunk cut by <see cref="FastCdc.NextBoundary(ReadOnlySpan{byte}, bool)"/>.</summary>
    public static List<int> CdcLengths(FastCdc cdc, ReadOnlySpan<byte> data) => Lengths(cdc, data, stream: false);

    private static List<int> Lengths(FastCdc cdc, ReadOnlySpan<byte> data, bool stream)
    {
        var lengths = new List<int>();
        long offset = 0;
        while (!data.IsEmpty)
        {
            int cut = stream && offset < cdc.LeadSize ? cdc.LeadBoundary(data, isFinal: true) : cdc.NextBoundary(data, isFinal: true);
            offset += cut;
            Assert.InRange(cut, 1, data.Length);
            lengths.Add(cut);
            data = data[cut..];
        }

        return lengths;
    }

    /// <summary>Chunks of a whole input as (offset, length, SHA-256), as the blob store would record them.</summary>
    public static List<Chunk> Chunks(FastCdc cdc, ReadOnlySpan<byte> data)
    {
        var chunks = new List<Chunk>();
        long offset = 0;
        foreach (int length in ChunkLengths(cdc, data))
        {
            chunks.Add(new Chunk(offset, length, Convert.ToHexString(SHA256.HashData(data.Slice((int)offset, length)))));
            offset += length;
        }

        return chunks;
    }

    internal readonly record struct Chunk(long Offset, int Length, string Digest)
    {
        public long End => Offset + Length;
    }
}
