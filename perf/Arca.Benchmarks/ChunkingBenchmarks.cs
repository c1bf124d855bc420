using System.Security.Cryptography;
using Arca.Storage.Chunking;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Arca.Benchmarks;

/// <summary>
/// FastCDC over 64 MiB of random bytes, against SHA-256 of the same buffer: ingest hashes every byte, so the
/// chunker must stay well ahead of the hash.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class ChunkingBenchmarks
{
    private const int Size = 64 * 1024 * 1024;

    // A typical read size on the ingest path.
    private const int AppendSize = 256 * 1024;

    private readonly FastCdc _cdc = new(new ChunkerOptions());
    private byte[] _data = [];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
    }

    [Benchmark(Baseline = true, Description = "SHA256.HashData")]
    public byte[] Sha256() => SHA256.HashData(_data);

    [Benchmark(Description = "FastCdc.NextBoundary")]
    public int FastCdcNextBoundary()
    {
        ReadOnlySpan<byte> data = _data;
        int chunks = 0;
        while (!data.IsEmpty)
        {
            data = data[_cdc.NextBoundary(data, isFinal: true)..];
            chunks++;
        }

        return chunks;
    }

    [Benchmark(Description = "StreamingChunker, 256 KiB appends")]
    public int StreamingChunkerAppend()
    {
        int chunks = 0;
        using var chunker = new StreamingChunker(_cdc);
        for (int offset = 0; offset < _data.Length; offset += AppendSize)
        {
            chunker.Append(_data.AsSpan(offset, Math.Min(AppendSize, _data.Length - offset)), _ => chunks++);
        }

        chunker.Complete(_ => chunks++);
        return chunks;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.Min, new ThroughputColumn(Size, fromFastest: false), new ThroughputColumn(Size, fromFastest: true));
    }
}
