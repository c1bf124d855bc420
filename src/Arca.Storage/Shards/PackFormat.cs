using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Arca.Storage.Shards;

/// <summary>
/// Layout of a pack file: a 16-byte file header, then segments. A segment is a fixed-size header listing up to
/// <see cref="MaxEntries"/> chunks (digest, length) followed by those chunks' bytes back to back, so the chunks
/// of one blob are contiguous and a range read of it is one or a few <c>sendfile</c> calls. The header is written
/// only after its data is durable, so a valid header always describes valid bytes: the index can be rebuilt from the
/// packs alone by reading their headers.
/// </summary>
internal static class PackFormat
{
    public const int FileHeaderSize = 16;
    public const int MaxEntries = 128;
    public const int EntrySize = ChunkDigest.Size + 4;
    public const int SegmentFixedSize = 24;
    public const int SegmentHeaderSize = SegmentFixedSize + MaxEntries * EntrySize;
    public const uint SegmentMagic = 0x53435241; // "ARCS" little-endian

    private static ReadOnlySpan<byte> FileMagic => "ARCAPK01"u8;

    public static void WriteFileHeader(Span<byte> buffer, int packId)
    {
        buffer[..FileHeaderSize].Clear();
        FileMagic.CopyTo(buffer);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[8..], packId);
    }

    public static bool IsFileHeader(ReadOnlySpan<byte> buffer) =>
        buffer.Length >= FileHeaderSize && buffer[..8].SequenceEqual(FileMagic);

    /// <summary>Encodes a segment header: magic, count, data length, checksum, entries.</summary>
    public static void WriteSegmentHeader(Span<byte> buffer, IReadOnlyList<ChunkRef> entries, long dataLength)
    {
        buffer[..SegmentHeaderSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, SegmentMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], (ushort)entries.Count);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], dataLength);
        var e = buffer[SegmentFixedSize..];
        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Digest.WriteTo(e[(i * EntrySize)..]);
            BinaryPrimitives.WriteInt32LittleEndian(e[(i * EntrySize + ChunkDigest.Size)..], entries[i].Length);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[16..], Checksum(buffer));
    }

    /// <summary>Decodes a segment header; false when it is not a complete, valid one (end of the valid pack).</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> buffer, List<ChunkRef> entries, out long dataLength)
    {
        entries.Clear();
        dataLength = 0;
        if (buffer.Length < SegmentHeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(buffer) != SegmentMagic)
        {
            return false;
        }
        var count = BinaryPrimitives.ReadUInt16LittleEndian(buffer[4..]);
        dataLength = BinaryPrimitives.ReadInt64LittleEndian(buffer[8..]);
        if (count is 0 or > MaxEntries || dataLength <= 0
            || BinaryPrimitives.ReadUInt64LittleEndian(buffer[16..]) != Checksum(buffer))
        {
            return false;
        }
        long sum = 0;
        var e = buffer[SegmentFixedSize..];
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(e[(i * EntrySize + ChunkDigest.Size)..]);
            entries.Add(new ChunkRef(new ChunkDigest(e.Slice(i * EntrySize, ChunkDigest.Size)), length));
            sum += length;
        }
        return sum == dataLength;
    }

    private static ulong Checksum(ReadOnlySpan<byte> header)
    {
        Span<byte> hash = stackalloc byte[32];
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(header[..16]);
        h.AppendData(header[SegmentFixedSize..SegmentHeaderSize]);
        h.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }

    public static string FileName(int packId) => packId.ToString("D8", System.Globalization.CultureInfo.InvariantCulture) + ".pack";
}
