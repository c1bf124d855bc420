namespace Arca.Tests.Shared;

/// <summary>
/// The pack files of a data dir (<c>chunks/shards/*.pack</c>: a 16-byte file header, then segments of a 4632-byte
/// header followed by chunk bytes back to back), found and damaged the way a bad disk would.
/// </summary>
internal static class Packs
{
    /// <summary>The pack holding <paramref name="content"/>'s bytes around <paramref name="at"/> verbatim, and where.</summary>
    public static (string Pack, long Offset) Locate(string dataDir, byte[] content, long at)
    {
        // 64 random bytes occur once: where they are is where the chunk's data is.
        var needle = content.AsSpan((int)at, 64).ToArray();
        var packs = Directory.GetFiles(Path.Combine(dataDir, "chunks", "shards"), "*.pack", SearchOption.AllDirectories);
        Assert.NotEmpty(packs);
        foreach (var pack in packs)
        {
            var bytes = File.ReadAllBytes(pack);
            var index = bytes.AsSpan().IndexOf(needle);
            if (index >= 0)
            {
                Assert.True(index >= 16 + 4632, $"{pack}: the bytes at {index} would be inside the headers");
                return (pack, index);
            }
        }
        Assert.Fail($"none of {packs.Length} pack files under {dataDir} holds the blob's bytes verbatim");
        return default;
    }

    public static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0xff));
        file.Flush(flushToDisk: true);
    }
}
