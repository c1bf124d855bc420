using System.Security.Cryptography;

namespace Arca.Client.Tests;

/// <summary>Directories of random model files to push, and checks that a pulled directory holds exactly them.</summary>
internal static class ModelFiles
{
    public const int MiB = 1 << 20;

    /// <summary>Writes <paramref name="files"/> (relative path → size) of random bytes under a new temp dir.</summary>
    public static string Create(IReadOnlyDictionary<string, int> files)
    {
        var root = TempDir.Create("model");
        foreach (var (path, size) in files)
        {
            Write(Path.Combine(root, path), size);
        }
        return root;
    }

    public static void Write(string path, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A typical checkpoint: nested directories, small config files and one large weights file.</summary>
    public static string Checkpoint(int bigBytes = 40 * MiB) => Create(new Dictionary<string, int>
    {
        ["config.json"] = 1_234,
        ["model.safetensors"] = bigBytes,
        ["tokenizer/vocab.txt"] = 3 * MiB + 17,
        ["tokenizer/merges.txt"] = 300_001,
        ["shards/a/part-0.bin"] = 2 * MiB,
        ["shards/a/part-1.bin"] = MiB + 5,
        ["shards/b/deep/part-2.bin"] = 4 * MiB - 3,
        ["empty.txt"] = 0,
    });

    /// <summary>Every regular file under <paramref name="root"/> ('/'-separated relative path → size), skipping <c>.arca/</c>.</summary>
    public static SortedDictionary<string, long> List(string root, bool includeArca = false)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
        }))
        {
            var relative = Path.GetRelativePath(root, file.FullName).Replace('\\', '/');
            if (includeArca || !relative.StartsWith(".arca/", StringComparison.Ordinal))
            {
                result[relative] = file.Length;
            }
        }
        return result;
    }

    /// <summary>Asserts that <paramref name="actual"/> has exactly the files of <paramref name="expected"/>, byte for byte.</summary>
    public static void AssertSameFiles(string expected, string actual)
    {
        var want = List(expected);
        var got = List(actual);
        Assert.Equal(want.Keys, got.Keys);
        foreach (var path in want.Keys)
        {
            Assert.True(Same(Path.Combine(expected, path), Path.Combine(actual, path)), $"{path} differs from what was pushed");
        }
    }

    public static bool Same(string a, string b)
    {
        var left = File.ReadAllBytes(a);
        var right = File.ReadAllBytes(b);
        return left.AsSpan().SequenceEqual(right);
    }

    public static string Sha256(string path) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
