using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane;

/// <summary>
/// A run of bytes of some content inside an open file. The data plane never closes <paramref name="File"/>: the
/// content source owns it and must keep it open while it can still be returned from a lookup.
/// </summary>
public readonly record struct ContentExtent(SafeFileHandle File, long Offset, long Length);
