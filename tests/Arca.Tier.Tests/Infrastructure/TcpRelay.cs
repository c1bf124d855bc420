using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder in front of a data plane (a tier's <c>tier.upstream_data_url</c> points here). It counts the
/// server → client bytes and can throttle them to a rate shared by all connections, so a fill through it is
/// reliably still running while the test looks at the tier or kills a process, however fast the machine.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Lock _budget = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _endings = new();
    private int _upstreamPort;
    private long _downstreamBytes;
    private long _bytesPerSecond;
    private double _nextFreeSecond;

    public TcpRelay()
    {
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public string Url => "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The port connections are forwarded to (set before the first one arrives).</summary>
    public int UpstreamPort
    {
        get => Volatile.Read(ref _upstreamPort);
        set => Volatile.Write(ref _upstreamPort, value);
    }

    /// <summary>Server → client bytes per second over all connections together (0 = as fast as they come).</summary>
    public long BytesPerSecond
    {
        get => Interlocked.Read(ref _bytesPerSecond);
        set => Interlocked.Exchange(ref _bytesPerSecond, value);
    }

    /// <summary>How connections ended, with the server → client byte count at the time (for failure messages).</summary>
    public string Endings => string.Join("\n", _endings);

    /// <summary>Server → client bytes forwarded so far (response headers and bodies).</summary>
    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private void Note(string ending) => _endings.Enqueue($"{_clock.Elapsed.TotalSeconds:F2}s at {DownstreamBytes} bytes: {ending}");

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, UpstreamPort, _stop.Token);
                await Task.WhenAll(PumpAsync(client, upstream, toClient: false), PumpAsync(upstream, client, toClient: true));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                Note($"could not connect to the server: {e.Message}");
                // The upstream is down (a killed process) or a side went away: closing the client is all.
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool toClient)
    {
        // Small slices while throttled, so the rate is smooth and concurrent connections interleave.
        var buffer = new byte[toClient ? 16 << 10 : 64 << 10];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    Note(toClient ? "the server closed a connection" : "the client closed a connection");
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (toClient)
                {
                    await ThrottleAsync(n);
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                if (toClient)
                {
                    Interlocked.Add(ref _downstreamBytes, n);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Note($"{(toClient ? "server → client" : "client → server")} cut: {e.GetType().Name} {e.Message} ({(e is SocketException s ? s.SocketErrorCode.ToString() : "")})");
            // One side is gone: drop the other so it sees the interruption at once.
            from.Close();
            to.Close();
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> more fit the shared budget of <see cref="BytesPerSecond"/>.</summary>
    private async Task ThrottleAsync(int bytes)
    {
        var rate = BytesPerSecond;
        if (rate <= 0)
        {
            return;
        }
        double due;
        lock (_budget)
        {
            var now = _clock.Elapsed.TotalSeconds;
            due = Math.Max(now, _nextFreeSecond);
            _nextFreeSecond = due + (double)bytes / rate;
        }
        var wait = due - _clock.Elapsed.TotalSeconds;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait), _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
