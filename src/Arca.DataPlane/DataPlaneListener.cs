using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Arca.DataPlane.Http;
using Arca.DataPlane.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arca.DataPlane;

/// <summary>
/// The zero-copy data plane: an HTTP/1.1 listener that serves <c>GET|HEAD /blobs/sha256/{hex}</c> and
/// <c>/chunks/sha256/{hex}</c> (with Range, If-None-Match, If-Range) from the files an <see cref="IContentSource"/>
/// names, writing content with sendfile(2) so no byte passes through managed memory. Access is a presigned URL
/// (<see cref="UrlSigner"/>) or a bearer token (<see cref="IBearerAuthorizer"/>).
/// </summary>
public sealed partial class DataPlaneListener : IAsyncDisposable
{
    private const int Backlog = 1024;
    private const int MaxPollers = 16;
    private const int IpProtoTcp = 6;
    private const int TcpCongestionOption = 13; // TCP_CONGESTION, linux/tcp.h

    /// <summary>
    /// One poller thread per core, as nginx's <c>worker_processes auto</c>. Measured on 2 cores with an unpaced
    /// congestion control (perf/results/data-plane.md): 8 concurrent downloads went from 6.2 to 7.8 GB/s with two
    /// pollers instead of one, at half the CPU per GB. (Under BBR's pacing one poller had been the better choice.)
    /// </summary>
    private const int CoresPerPoller = 1;

    private readonly DataPlaneOptions _options;
    private readonly ContentResponder _responder;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, DataPlaneConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Socket? _listenSocket;
    private SocketPoller[] _pollers = [];
    private ConnectionContext? _context;
    private ITimer? _sweeper;
    private Task? _acceptLoop;
    private long _nextConnectionId;
    private bool _disposed;

    public DataPlaneListener(
        DataPlaneOptions options,
        IContentSource content,
        UrlSigner signer,
        IBearerAuthorizer bearer,
        TimeProvider time,
        ILogger<DataPlaneListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Listen);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(bearer);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestLineBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxHeaderBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxHeaderCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HeaderTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IdleTimeout, TimeSpan.Zero);
        _options = options;
        _responder = new ContentResponder(content, signer, bearer);
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The bound address (the actual port when <see cref="DataPlaneOptions.Listen"/> asked for port 0).</summary>
    public IPEndPoint LocalEndPoint =>
        (IPEndPoint?)_listenSocket?.LocalEndPoint ?? throw new InvalidOperationException("the data plane has not been started");

    public DataPlaneCounters Counters { get; } = new();

    /// <summary>Binds and starts accepting connections.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_listenSocket is not null)
            {
                throw new InvalidOperationException("the data plane is already started");
            }
            var socket = new Socket(_options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (_options.Listen.AddressFamily == AddressFamily.InterNetworkV6 && _options.Listen.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                socket.Bind(_options.Listen);
                SetCongestionControl(socket);
                socket.Listen(Backlog);
                _pollers = CreatePollers(Math.Clamp(Environment.ProcessorCount / CoresPerPoller, 1, MaxPollers));
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _listenSocket = socket;
            _context = new ConnectionContext(_options, _responder, Counters, _pollers, _time, _logger);
            var shortest = _options.HeaderTimeout < _options.IdleTimeout ? _options.HeaderTimeout : _options.IdleTimeout;
            var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(25).Ticks, TimeSpan.FromSeconds(1).Ticks));
            _sweeper = _time.CreateTimer(static state => ((DataPlaneListener)state!).Sweep(), this, period, period);
            _acceptLoop = Task.Run(AcceptLoopAsync);
            Log.Listening(_logger, LocalEndPoint.ToString());
        }
    }

    /// <summary>Stops accepting, closes every connection (in-flight responses are cut) and releases the engine thread.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        await _stopping.CancelAsync();
        _listenSocket?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }
        // ForceYielding: connections finish on poller threads, and the pollers cannot be joined from themselves.
        await Task.WhenAll(_connections.Values.Select(c => c.Completion)).WaitAsync(TimeSpan.FromSeconds(5))
            .ConfigureAwait(ConfigureAwaitOptions.ForceYielding | ConfigureAwaitOptions.SuppressThrowing);
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync();
        }
        foreach (var poller in _pollers)
        {
            poller.Dispose();
        }
        _stopping.Dispose();
        if (_listenSocket is not null)
        {
            Log.Stopped(_logger);
        }
    }

    private SocketPoller[] CreatePollers(int count)
    {
        var pollers = new List<SocketPoller>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                pollers.Add(new SocketPoller(i, _logger));
            }
            return [.. pollers];
        }
        catch
        {
            pollers.ForEach(p => p.Dispose());
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var listenSocket = _listenSocket!;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }
                // EMFILE and friends: back off instead of spinning.
                Log.AcceptFailed(_logger, e.SocketErrorCode.ToString());
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, CancellationToken.None);
                continue;
            }

            if (Counters.ActiveConnections >= _options.MaxConnections)
            {
                Reject(socket);
                continue;
            }
            // Non-blocking from here on, driven by the SocketPoller (never by .NET's async socket engine).
            socket.Blocking = false;
            socket.NoDelay = true; // a head and a small body in separate writes must not wait for a delayed ACK
            var id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new DataPlaneConnection(id, socket, _context!);
            Counters.ConnectionOpened();
            _connections[id] = connection;
            // Runs inline only until it arms its first wait (no bytes are read here); then lives on its poller.
            connection.Completion = RunConnectionAsync(connection);
        }
    }

    /// <summary>
    /// Sets <see cref="DataPlaneOptions.TcpCongestion"/> on the listening socket; accepted connections inherit it. A
    /// name the kernel does not have or does not let this process use is logged and the kernel's default stays.
    /// </summary>
    private void SetCongestionControl(Socket socket)
    {
        if (string.IsNullOrEmpty(_options.TcpCongestion))
        {
            return;
        }
        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpCongestionOption, Encoding.ASCII.GetBytes(_options.TcpCongestion));
        }
        catch (SocketException e)
        {
            Log.CongestionControlRefused(_logger, _options.TcpCongestion, e.Message);
        }
    }

    private async Task RunConnectionAsync(DataPlaneConnection connection)
    {
        try
        {
            await connection.RunAsync();
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            Counters.ConnectionClosed();
        }
    }

    /// <summary>Over the limit: a best-effort 503 written on the still-blocking socket, then close.</summary>
    private void Reject(Socket socket)
    {
        Counters.ConnectionRejected();
        Log.ConnectionLimit(_logger, _options.MaxConnections);
        try
        {
            socket.Send("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections\n"u8);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
        Counters.AddResponse(503);
    }

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var connection in _connections.Values)
        {
            connection.CheckDeadline(now);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.Listening, Level = LogLevel.Information, Message = "data plane listening on {Address}")]
        public static partial void Listening(ILogger logger, string address);

        [LoggerMessage(EventId = LogEvents.Stopped, Level = LogLevel.Information, Message = "data plane stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventId = LogEvents.AcceptFailed, Level = LogLevel.Warning, Message = "accept failed: {Error}")]
        public static partial void AcceptFailed(ILogger logger, string error);

        [LoggerMessage(EventId = LogEvents.CongestionControlRefused, Level = LogLevel.Warning,
            Message = "data plane keeps the kernel's TCP congestion control: setting '{Name}' failed ({Error}); an unprivileged "
                + "process may only use those in net.ipv4.tcp_allowed_congestion_control")]
        public static partial void CongestionControlRefused(ILogger logger, string name, string error);

        [LoggerMessage(EventId = LogEvents.ConnectionLimit, Level = LogLevel.Warning,
            Message = "refused a connection: {Max} connections are open")]
        public static partial void ConnectionLimit(ILogger logger, int max);
    }
}
