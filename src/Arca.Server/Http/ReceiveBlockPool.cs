using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Arca.Server.Http;

/// <summary>
/// The memory pool behind the control plane's socket reads: 64 KiB blocks instead of Kestrel's 4 KiB, so an upload
/// body arrives in 64 KiB <c>recvfrom</c> calls instead of 4 KiB ones.
/// </summary>
/// <remarks>
/// Kestrel's socket transport reads into whatever block its pool rents, and its pool's blocks are 4 KiB: a 2 GiB
/// upload then costs a million receive calls and thread hand-offs (perf/ingest/profile-notes.md: 526,158 recvfrom
/// calls for 1 GiB; the A/B with O_DIRECT writes is in perf/results/ingest.md). ASP.NET Core 9 has no public way to set the pool, so
/// <see cref="TryInstall"/> sets its internal factory through an <see cref="UnsafeAccessorAttribute"/> (no
/// reflection, fine under Native AOT). Where that member is missing (ASP.NET Core 10 made it an
/// <c>IMemoryPoolFactory&lt;byte&gt;</c> taken from the service container) Kestrel keeps its own pool.
/// </remarks>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Makes Kestrel's socket transport use this pool; false (and nothing changed) where it cannot.</summary>
    public static bool TryInstall(SocketTransportOptions options)
    {
        try
        {
            SetMemoryPoolFactory(options, static () => new ReceiveBlockPool());
            return true;
        }
        catch (MissingMethodException)
        {
            return false;
        }
    }

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) =>
        new Block(ArrayPool<byte>.Shared.Rent(Math.Max(minBufferSize, BlockSize)));

    protected override void Dispose(bool disposing)
    {
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MemoryPoolFactory")]
    private static extern void SetMemoryPoolFactory(SocketTransportOptions options, Func<MemoryPool<byte>> factory);

    private sealed class Block(byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}
