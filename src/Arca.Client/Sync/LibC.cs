using System.Runtime.InteropServices;

namespace Arca.Client.Sync;

/// <summary>rename(2) and unlink(2) on symlinks themselves (.NET's File.Move and File.Exists follow the link).</summary>
internal static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkNative(string path);

    private const int ENOENT = 2;

    /// <summary>Atomically replaces <paramref name="newPath"/> with <paramref name="oldPath"/>.</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (RenameNative(oldPath, newPath) != 0)
        {
            throw new IOException($"rename({oldPath}, {newPath}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static void UnlinkIfPresent(string path)
    {
        if (UnlinkNative(path) != 0 && Marshal.GetLastPInvokeError() != ENOENT)
        {
            throw new IOException($"unlink({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
