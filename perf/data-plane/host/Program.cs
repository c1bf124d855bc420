using System.Net;
using System.Runtime.InteropServices;
using Arca.DataPlane;
using Arca.Perf.DataPlaneHost;

// arca-dataplane-host <file> <sha256-hex> <port> <bearer-token>
// Serves the one file as /blobs/sha256/<hex> (a single ContentExtent) until SIGTERM/SIGINT.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: arca-dataplane-host <file> <sha256-hex> <port> <bearer-token>");
    return 2;
}
var (file, hex, port, token) = (args[0], args[1], int.Parse(args[2]), args[3]);
using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
var length = RandomAccess.GetLength(handle);
var content = new SingleFileContent(hex, new ContentLayout(length, [new ContentExtent(handle, 0, length)]));
var keyDir = Directory.CreateTempSubdirectory("arca-perf-key-").FullName;
var signer = UrlSigner.LoadOrCreate(Path.Combine(keyDir, "url.key"), TimeProvider.System);
// The product's default congestion control (server.data_tcp_congestion); DATAPLANE_TCP_CONGESTION="" keeps the kernel's.
var congestion = Environment.GetEnvironmentVariable("DATAPLANE_TCP_CONGESTION") ?? "cubic";
var options = new DataPlaneOptions { Listen = new IPEndPoint(IPAddress.Loopback, port), TcpCongestion = congestion };
await using (var listener = new DataPlaneListener(options, content, signer, new FixedToken(token), TimeProvider.System))
{
    listener.Start();
    Console.WriteLine($"listening on {listener.LocalEndPoint}, serving {length} bytes as /blobs/sha256/{hex}");
    var stop = new TaskCompletionSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
    await stop.Task;
    var c = listener.Counters;
    Console.WriteLine($"requests {c.Requests}, 2xx {c.Responses2xx}, 4xx {c.Responses4xx}, bytes {c.BytesSent}");
}
Directory.Delete(keyDir, recursive: true);
return 0;
