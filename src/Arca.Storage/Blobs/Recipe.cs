using System.Buffers.Binary;

namespace Arca.Storage.Blobs;

/// <summary>A blob's ordered chunk list, stored as 36-byte entries (digest, big-endian length).</summary>
public static class Recipe
{
    public static byte[] Encode(IReadOnlyList<ChunkRef> chunks)
    {
        var bytes = new byte[chunks.Count * 36];
        for (var i = 0; i < chunks.Count; i++)
        {
            chunks[i].Digest.WriteTo(bytes.AsSpan(i * 36));
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 36 + 32), chunks[i].Length);
        }
        return bytes;
    }

    public static ChunkRef[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 36 != 0)
        {
            throw new InvalidDataException("a recipe is a multiple of 36 bytes");
        }
        var chunks = new ChunkRef[bytes.Length / 36];
        for (var i = 0; i < chunks.Length; i++)
        {
            chunks[i] = new ChunkRef(new ChunkDigest(bytes.Slice(i * 36, 32)), BinaryPrimitives.ReadInt32BigEndian(bytes[(i * 36 + 32)..]));
        }
        return chunks;
    }
}
