namespace Arca.Tests.Shared;

/// <summary>Fresh directories under the system temp dir (one folder per test assembly), removed best-effort.</summary>
internal static class TempDir
{
    public static string Create(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), typeof(TempDir).Assembly.GetName().Name!.ToLowerInvariant(), purpose + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp dir left behind is harmless.
        }
    }
}
