using System.Net.Sockets;
using Arca.DataPlane.Transport;
using Microsoft.Win32.SafeHandles;

namespace Arca.DataPlane.Tests.Transport;

public sealed class ConnectionIoTests
{
    [Fact]
    public void Adjacent_runs_of_one_file_join_and_others_do_not()
    {
        var path = Path.GetTempFileName();
        try
        {
            using var a = File.OpenHandle(path);
            using var b = File.OpenHandle(path);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var transfer = new ConnectionIo(1, socket, null!, () => { });

            transfer.Add(a, 0, 100);
            transfer.Add(a, 100, 50);   // adjacent, same handle: joins
            transfer.Add(a, 200, 10);   // gap: new segment
            transfer.Add(b, 210, 10);   // adjacent offset, another file descriptor: new segment
            transfer.Add(b, 220, 0);    // empty: dropped
            transfer.Add(b, 220, 5);    // joins

            var segments = transfer.Segments.Select(s => (s.File, s.Offset, s.Remaining)).ToList();
            Assert.Equal<(SafeFileHandle, long, long)>([(a, 0, 150), (a, 200, 10), (b, 210, 15)], segments);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
