using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Arca.Client.Pull;

/// <summary>
/// Where one piece of a layer is received before it is hashed. Either a window of the partial file mapped into memory
/// (the socket's bytes land straight in the page cache: one copy instead of two, about a third of the kernel time per
/// GiB on the benchmark machine) or, where the file cannot be mapped, a pooled array written with <c>pwrite</c>.
/// </summary>
internal abstract partial class PieceBuffer : IDisposable
{
    public abstract Memory<byte> Memory { get; }

    /// <summary>Puts the received bytes into the file (a no-op for a mapping: they are already there).</summary>
    public abstract void Commit(SafeFileHandle file, long offset);

    public abstract void Dispose();

    /// <summary>
    /// Reserves the layer's full size on disk up front so that a full disk is a clear error now, not a SIGBUS in the
    /// middle of a mapped write later. Returns false when the file system cannot reserve (then nothing is mapped).
    /// </summary>
    public static bool Reserve(SafeFileHandle file, long size, string path)
    {
        if (size == 0)
        {
            return false;
        }
        if (fallocate(file, 0, 0, size) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno is ENOSPC or EDQUOT)
        {
            throw new IOException($"not enough disk space for {path}: the layer needs {size:N0} bytes");
        }
        return false; // EOPNOTSUPP and the like: pwrite instead
    }

    public static PieceBuffer Create(SafeFileHandle file, bool mapped, long offset, int length) =>
        (mapped ? MappedPiece.TryMap(file, offset, length) : null) as PieceBuffer ?? new ArrayPiece(length);

    private sealed class ArrayPiece(int length) : PieceBuffer
    {
        private byte[]? _array = ArrayPool<byte>.Shared.Rent(length);

        public override Memory<byte> Memory => _array.AsMemory(0, length);

        public override void Commit(SafeFileHandle file, long offset) => RandomAccess.Write(file, _array.AsSpan(0, length), offset);

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    private sealed unsafe class MappedPiece : PieceBuffer
    {
        private readonly Manager _manager;

        private MappedPiece(Manager manager) => _manager = manager;

        public static MappedPiece? TryMap(SafeFileHandle file, long offset, int length)
        {
            var skew = offset % PageSize;
            var mapLength = (nuint)(length + skew);
            var address = mmap(0, mapLength, ProtRead | ProtWrite, MapShared, file, offset - skew);
            if (address == MapFailed)
            {
                return null;
            }
            // Fault every page in at once (Linux 5.14+; older kernels fault them one by one as the socket writes).
            madvise(address, mapLength, MadvPopulateWrite);
            return new MappedPiece(new Manager(address, mapLength, (byte*)address + skew, length));
        }

        public override Memory<byte> Memory => _manager.Memory;

        public override void Commit(SafeFileHandle file, long offset)
        {
        }

        public override void Dispose() => ((IDisposable)_manager).Dispose();

        private sealed class Manager(nint address, nuint mapLength, byte* data, int length) : MemoryManager<byte>
        {
            private int _unmapped;

            public override Span<byte> GetSpan() => new(data, length);

            public override MemoryHandle Pin(int elementIndex = 0) => new(data + elementIndex);

            public override void Unpin()
            {
            }

            protected override void Dispose(bool disposing)
            {
                // Only once every reader and the socket are done with it (the caller's contract).
                if (Interlocked.Exchange(ref _unmapped, 1) == 0)
                {
                    munmap(address, mapLength);
                }
            }
        }
    }

    private static readonly long PageSize = Environment.SystemPageSize;
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 1;
    private const int MadvPopulateWrite = 23;
    private static readonly nint MapFailed = -1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
