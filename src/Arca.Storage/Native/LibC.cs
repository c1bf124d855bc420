using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Arca.Storage.Native;

/// <summary>The few libc calls the store needs that .NET does not expose (durability and cache hints).</summary>
internal static partial class LibC
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int ODirect = 0x4000;
    private const int ODirectory = 0x10000;
    private const int OCloExec = 0x80000;

    /// <summary>
    /// Opens an existing file for writing with O_DIRECT (writes bypass the page cache); null where the file system
    /// refuses it. Writes through it need block-aligned offsets, lengths and memory.
    /// </summary>
    public static SafeFileHandle? OpenDirectWriter(string path)
    {
        var fd = Open(path, OWrOnly | ODirect | OCloExec);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Flushes a file's data (and the metadata needed to read it back) to stable storage.</summary>
    public static void DataSync(SafeFileHandle handle, string path)
    {
        if (fdatasync(handle) != 0)
        {
            throw new IOException($"fdatasync({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Makes a directory entry (a new file's name) durable.</summary>
    public static void SyncDirectory(string directory)
    {
        // .NET cannot open a directory as a file handle, hence open(2) directly.
        var fd = Open(directory, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw new IOException($"open({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            fsync(fd);
        }
        finally
        {
            close(fd);
        }
    }
}
