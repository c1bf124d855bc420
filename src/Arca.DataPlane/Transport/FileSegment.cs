using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane.Transport;

/// <summary>Bytes still to send from one file: <see cref="Offset"/> advances as sendfile(2) makes progress.</summary>
internal struct FileSegment(SafeFileHandle file, long offset, long count)
{
    public readonly SafeFileHandle File = file;
    public long Offset = offset;
    public long Remaining = count;
}
