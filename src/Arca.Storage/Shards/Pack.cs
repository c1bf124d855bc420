using Microsoft.Win32.SafeHandles;

namespace Arca.Storage.Shards;

/// <summary>One open pack file: its handle (shared by writers and readers; all I/O is positional) and its valid end.</summary>
internal sealed class Pack(int id, string path, SafeFileHandle handle, long end) : IDisposable
{
    public int Id { get; } = id;
    public string Path { get; } = path;
    public SafeFileHandle Handle { get; } = handle;

    /// <summary>Offset after the last complete segment; only the leaseholder advances it.</summary>
    public long End { get; set; } = end;

    public bool Leased { get; set; }

    /// <summary><see cref="End"/> when the current leaseholder took the pack: every entry before it is indexed.</summary>
    public long LeasedAt { get; set; }

    /// <summary>An O_DIRECT write handle on the same file, opened by the first writer that wants one (see <see cref="DirectAppender"/>).</summary>
    public SafeFileHandle? DirectHandle { get; set; }

    /// <summary>Whether opening <see cref="DirectHandle"/> was tried (and failed, if it is still null).</summary>
    public bool DirectTried { get; set; }

    public void Dispose()
    {
        DirectHandle?.Dispose();
        Handle.Dispose();
    }
}
