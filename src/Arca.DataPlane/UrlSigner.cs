using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Arca.DataPlane;

/// <summary>
/// Presigned data-plane URLs: <c>path?exp=&lt;unix seconds&gt;&amp;sig=&lt;base64url HMAC-SHA256 over "METHOD\npath\nexp"&gt;</c>.
/// The 32-byte secret lives in the data directory, so URLs survive restarts and every process sharing the directory
/// agrees. Only the path and expiry are signed: other query parameters are ignored by the data plane.
/// </summary>
public sealed class UrlSigner
{
    private const int KeyBytes = 32;
    private const int SignatureBytes = 32;

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    private UrlSigner(byte[] key, TimeProvider time)
    {
        _key = key;
        _time = time;
    }

    /// <summary>Reads the key at <paramref name="keyFilePath"/>, or creates it (32 random bytes, mode 0600, parent directory created).</summary>
    public static UrlSigner LoadOrCreate(string keyFilePath, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyFilePath);
        ArgumentNullException.ThrowIfNull(time);
        var path = Path.GetFullPath(keyFilePath);
        if (!File.Exists(path))
        {
            Create(path);
        }
        var key = File.ReadAllBytes(path);
        if (key.Length < KeyBytes)
        {
            throw new InvalidDataException($"{path}: a URL-signing key must hold at least {KeyBytes} bytes, found {key.Length}");
        }
        return new UrlSigner(key, time);
    }

    /// <summary>A presigned GET (and HEAD) URL for <paramref name="path"/> valid for <paramref name="ttl"/>.</summary>
    public string Sign(string path, TimeSpan ttl, out DateTimeOffset expires)
    {
        ValidatePath(path);
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "a presigned URL needs a positive lifetime");
        }
        var exp = _time.GetUtcNow().Add(ttl).ToUnixTimeSeconds();
        expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        Span<byte> mac = stackalloc byte[SignatureBytes];
        ComputeMac("GET", path, exp, mac);
        return $"{path}?exp={exp}&sig={Base64Url.EncodeToString(mac)}";
    }

    /// <summary>
    /// True when <paramref name="sig"/> signs (<paramref name="method"/>, <paramref name="path"/>, <paramref name="exp"/>)
    /// and the expiry has not passed. HEAD is verified as GET. The MAC comparison is constant-time.
    /// </summary>
    public bool Verify(string method, string path, string? exp, string? sig)
    {
        if (string.IsNullOrEmpty(method) || string.IsNullOrEmpty(path) || exp is null || sig is null
            || exp.Length is 0 or > 19 || !IsDigits(exp) || !long.TryParse(exp, out var expSeconds))
        {
            return false;
        }
        if (_time.GetUtcNow().ToUnixTimeSeconds() >= expSeconds)
        {
            return false;
        }
        Span<byte> given = stackalloc byte[SignatureBytes + 3];
        if (sig.Length != Base64Url.GetEncodedLength(SignatureBytes)
            || Base64Url.DecodeFromChars(sig, given, out _, out var written) != OperationStatus.Done
            || written != SignatureBytes)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[SignatureBytes];
        ComputeMac(method == "HEAD" ? "GET" : method, path, expSeconds, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..SignatureBytes]);
    }

    private void ComputeMac(string method, string path, long exp, Span<byte> destination)
    {
        var message = Encoding.UTF8.GetBytes($"{method}\n{path}\n{exp}");
        HMACSHA256.HashData(_key, message, destination);
    }

    private static bool IsDigits(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static void ValidatePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path[0] != '/' || path.Contains('?', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not an absolute path without query", nameof(path));
        }
    }

    private static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write a temp file with mode 0600 from the start, then move it into place without overwriting: concurrent
        // first starts agree on one key and nobody ever reads a half-written file.
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(RandomNumberGenerator.GetBytes(KeyBytes));
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
