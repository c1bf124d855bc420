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

    public void Dispose() => Handle.Dispose();
}
