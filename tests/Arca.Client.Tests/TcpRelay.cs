using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Arca.Client.Tests;

/// <summary>
/// A TCP forwarder in front of the control plane that counts the client → server bytes and can hold them back once a
/// given number went through, so a push is reliably still running when the test kills it, however slow the machine.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private CancellationTokenSource _drop = new();
    private long _upstreamBytes;
    private long _pauseAfter;

    public TcpRelay(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public string Url => "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Once this many client → server bytes went through, forward no more (0 = never hold back).</summary>
    public long PauseAfter
    {
        get => Interlocked.Read(ref _pauseAfter);
        set => Interlocked.Exchange(ref _pauseAfter, value);
    }

    /// <summary>Client → server bytes forwarded since the last <see cref="ResetCount"/>.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    public bool Paused => PauseAfter > 0 && UpstreamBytes >= PauseAfter;

    public void ResetCount() => Interlocked.Exchange(ref _upstreamBytes, 0);

    /// <summary>Closes every open connection (both ends), as a network cut would.</summary>
    public void DropConnections()
    {
        // Not disposed: a connection being accepted right now may still link to it.
        Interlocked.Exchange(ref _drop, new CancellationTokenSource()).Cancel();
    }

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

    private async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, Volatile.Read(ref _drop).Token);
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, cut.Token);
                await Task.WhenAll(PumpAsync(client, upstream, toServer: true, cut.Token), PumpAsync(upstream, client, toServer: false, cut.Token));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A side went away (the test killed the client or cut the connection): closing both ends is all.
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool toServer, CancellationToken ct)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                while (toServer && Paused)
                {
                    await Task.Delay(10, ct);
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
                if (toServer)
                {
                    Interlocked.Add(ref _upstreamBytes, n);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side is gone or the connection was cut: drop the other so the server sees the interruption at once.
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        _drop.Dispose();
    }
}
