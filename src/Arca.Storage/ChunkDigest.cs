using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Arca.Storage;

/// <summary>
/// A SHA-256 digest as a blittable 32-byte value: the chunk index key (FASTER keeps blittable structs on its
/// fastest path, with no serializer) and the identity of chunks and blobs.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public readonly struct ChunkDigest : IEquatable<ChunkDigest>
{
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    public ChunkDigest(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(bytes));
        }
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>64 lowercase hex characters.</summary>
    public string Hex
    {
        get
        {
            Span<byte> bytes = stackalloc byte[Size];
            WriteTo(bytes);
            return Convert.ToHexStringLower(bytes);
        }
    }

    /// <summary><c>sha256:</c> + <see cref="Hex"/>.</summary>
    public override string ToString() => "sha256:" + Hex;

    public static bool TryParse(string? text, out ChunkDigest digest)
    {
        digest = default;
        if (text is null)
        {
            return false;
        }
        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text.AsSpan(7) : text.AsSpan();
        if (hex.Length != 64)
        {
            return false;
        }
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        Span<byte> bytes = stackalloc byte[Size];
        Convert.FromHexString(hex, bytes, out _, out _);
        digest = new ChunkDigest(bytes);
        return true;
    }

    public static ChunkDigest Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"'{text}' is not a sha256 digest");

    public static ChunkDigest Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Size];
        System.Security.Cryptography.SHA256.HashData(data, hash);
        return new ChunkDigest(hash);
    }

    /// <summary>Whether the <paramref name="length"/> bytes stored at <paramref name="offset"/> of <paramref name="file"/> still hash to this digest.</summary>
    public bool MatchesStored(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, int length)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            return RandomAccess.Read(file, buffer.AsSpan(0, length), offset) == length && Of(buffer.AsSpan(0, length)) == this;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool Equals(ChunkDigest other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is ChunkDigest other && Equals(other);

    // SHA-256 output is uniformly distributed: any 64 bits are a perfect hash.
    public override int GetHashCode() => (int)_a;

    internal long Hash64 => (long)_a;

    public static bool operator ==(ChunkDigest left, ChunkDigest right) => left.Equals(right);

    public static bool operator !=(ChunkDigest left, ChunkDigest right) => !left.Equals(right);
}
