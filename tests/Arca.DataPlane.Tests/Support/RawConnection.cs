using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arca.DataPlane.Tests.Support;

/// <summary>A bare TCP client: writes exactly the bytes a test gives it and parses responses by hand.</summary>
public sealed class RawConnection : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    private RawConnection(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static async Task<RawConnection> OpenAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawConnection(socket);
    }

    public static string Get(string target, string? token = TestServer.GoodToken, string extra = "") =>
        $"GET {target} HTTP/1.1\r\nHost: test\r\n{(token is null ? "" : $"Authorization: Bearer {token}\r\n")}{extra}\r\n";

    public Task SendAsync(string ascii) => SendAsync(Encoding.Latin1.GetBytes(ascii));

    public async Task SendAsync(byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Reads one response; a body is read by Content-Length unless the request was HEAD or the status is 304.</summary>
    public async Task<RawResponse> ReadResponseAsync(bool headRequest = false, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        int end;
        while ((end = IndexOfHeadEnd()) < 0)
        {
            if (!await FillAsync(cts.Token))
            {
                throw new IOException($"connection closed before a whole response head; got: {Encoding.Latin1.GetString([.. _pending])}");
            }
        }
        var head = Encoding.Latin1.GetString(_pending.GetRange(0, end).ToArray());
        _pending.RemoveRange(0, end + 4);
        var response = RawResponse.ParseHead(head, []);
        var length = headRequest || response.Status == 304 ? 0 : long.Parse(response.Header("Content-Length") ?? "0");
        while (_pending.Count < length)
        {
            if (!await FillAsync(cts.Token))
            {
                throw new IOException($"connection closed after {_pending.Count} of {length} body bytes");
            }
        }
        var body = _pending.GetRange(0, (int)length).ToArray();
        _pending.RemoveRange(0, (int)length);
        return response with { Body = body };
    }

    /// <summary>True when the server closes (EOF or reset) within <paramref name="timeout"/>; data before that is dropped.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await FillAsync(cts.Token))
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Everything the server sends until it closes (or the timeout).</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await FillAsync(cts.Token))
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
        var all = _pending.ToArray();
        _pending.Clear();
        return all;
    }

    public void Dispose() => _socket.Dispose();

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int read;
        try
        {
            read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return false;
        }
        _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        return read > 0;
    }

    private int IndexOfHeadEnd()
    {
        for (var i = 0; i + 3 < _pending.Count; i++)
        {
            if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }
}
