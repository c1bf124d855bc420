using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane.Tests.Support;

/// <summary>
/// An <see cref="IContentSource"/> over real temp files, shaped like the store: one blob in a single extent, one
/// split across two files in several extents (boundaries inside ranges), one made of adjacent extents of one file
/// (coalesced into one sendfile), an empty blob, a chunk and a large blob for back-pressure.
/// </summary>
public sealed class TestContent : IContentSource, IDisposable
{
    private readonly Dictionary<(ContentKind, string), (ContentLayout Layout, byte[] Bytes)> _objects = [];
    private readonly List<SafeFileHandle> _handles = [];
    private readonly Dictionary<SafeFileHandle, byte[]> _fileBytes = [];

    public TestContent(int largeBytes = 24 << 20)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("arca-dataplane-").FullName;
        var random = new Random(1234);

        var fileA = CreateFile("a.pack", RandomBytes(random, 64 * 1024));
        var fileB = CreateFile("b.pack", RandomBytes(random, 64 * 1024));
        var fileC = CreateFile("c.pack", RandomBytes(random, 32 * 1024));
        var fileL = CreateFile("large.pack", RandomBytes(random, largeBytes + 100));

        Single = Add(ContentKind.Blob, [new(fileA.Handle, 100, 10_000)]);
        Split = Add(ContentKind.Blob, [
            new(fileA.Handle, 20_000, 3_000),
            new(fileB.Handle, 0, 5_000),
            new(fileA.Handle, 40_000, 2_000),
            new(fileB.Handle, 9_999, 1),
            new(fileB.Handle, 10_000, 4_000), // adjacent to the previous one: joins it
        ]);
        Adjacent = Add(ContentKind.Blob, [
            new(fileC.Handle, 0, 4_096),
            new(fileC.Handle, 4_096, 4_096),
            new(fileC.Handle, 8_192, 100),
        ]);
        Empty = Add(ContentKind.Blob, []);
        Chunk = Add(ContentKind.Chunk, [new(fileB.Handle, 30_000, 1_000)]);
        Large = Add(ContentKind.Blob, [new(fileL.Handle, 50, largeBytes)]);
    }

    public string Directory { get; }

    public StoredObject Single { get; }

    public StoredObject Split { get; }

    public StoredObject Adjacent { get; }

    public StoredObject Empty { get; }

    public StoredObject Chunk { get; }

    public StoredObject Large { get; }

    /// <summary>A valid digest the store does not hold.</summary>
    public static string MissingHex { get; } = new string('e', 64);

    /// <summary>A digest whose lookup throws (a broken store).</summary>
    public static string ThrowingHex { get; } = new string('d', 64);

    /// <summary>A digest whose layout's extents do not add up to its length.</summary>
    public static string InconsistentHex { get; } = new string('c', 64);

    public int Lookups;

    public ContentLayout? Lookup(ContentKind kind, string hexDigest)
    {
        Interlocked.Increment(ref Lookups);
        if (hexDigest == ThrowingHex)
        {
            throw new IOException("store is broken");
        }
        if (hexDigest == InconsistentHex)
        {
            return new ContentLayout(10, [new ContentExtent(_handles[0], 0, 5)]);
        }
        return _objects.TryGetValue((kind, hexDigest), out var found) ? found.Layout : null;
    }

    public void Dispose()
    {
        foreach (var handle in _handles)
        {
            handle.Dispose();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private StoredObject Add(ContentKind kind, ContentExtent[] extents)
    {
        var bytes = new List<byte>();
        foreach (var extent in extents)
        {
            bytes.AddRange(_fileBytes[extent.File].AsSpan((int)extent.Offset, (int)extent.Length).ToArray());
        }
        var content = bytes.ToArray();
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        _objects[(kind, hex)] = (new ContentLayout(content.Length, extents), content);
        var prefix = kind == ContentKind.Blob ? "/blobs/sha256/" : "/chunks/sha256/";
        return new StoredObject(prefix + hex, hex, content);
    }

    private (SafeFileHandle Handle, byte[] Bytes) CreateFile(string name, byte[] bytes)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, bytes);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        _handles.Add(handle);
        _fileBytes[handle] = bytes;
        return (handle, bytes);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
