using System.Security.Cryptography;
using System.Text;

namespace Arca.Client.Transfer;

/// <summary>
/// The client's local state under <c>$XDG_CACHE_HOME/arca</c> (or <c>~/.cache/arca</c>): digests of files already
/// hashed (keyed by path, size and modification time) and the locations of unfinished upload sessions, so a push run
/// again skips the hashing and resumes where the server stands.
/// </summary>
public sealed class ClientCache
{
    public ClientCache(string? directory = null)
    {
        Directory = directory ?? DefaultDirectory();
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "digests"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "uploads"));
    }

    public string Directory { get; }

    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        return Path.Combine(string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg, "arca");
    }

    private static string Key(FileInfo file, string scope) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{scope}\n{file.FullName}\n{file.Length}\n{file.LastWriteTimeUtc.Ticks}")))[..32];

    public string? CachedDigest(FileInfo file) => Read(Path.Combine(Directory, "digests", Key(file, "")));

    public void RememberDigest(FileInfo file, string digest) => Write(Path.Combine(Directory, "digests", Key(file, "")), digest);

    /// <summary>The upload session started for this file on this registry, if any.</summary>
    public string? UploadSession(FileInfo file, string registry) => Read(Path.Combine(Directory, "uploads", Key(file, registry)));

    public void RememberUploadSession(FileInfo file, string registry, string location) =>
        Write(Path.Combine(Directory, "uploads", Key(file, registry)), location);

    public void ForgetUploadSession(FileInfo file, string registry)
    {
        try
        {
            File.Delete(Path.Combine(Directory, "uploads", Key(file, registry)));
        }
        catch (IOException)
        {
            // A stale entry only costs a 404 and a fresh session next time.
        }
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Write(string path, string value)
    {
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(tmp, value);
        File.Move(tmp, path, overwrite: true);
    }
}
