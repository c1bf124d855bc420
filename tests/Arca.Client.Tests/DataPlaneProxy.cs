using System.Globalization;
using System.Net;

namespace Arca.Client.Tests;

/// <summary>
/// An HTTP proxy in front of the data plane (the server's <c>server.data_public_url</c> points here). It forwards
/// range requests and can stall once a number of body bytes went out (so a pull is reliably still running when the
/// test kills it), or lie: flip one byte in the middle of every response body.
/// </summary>
internal sealed class DataPlaneProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = TimeSpan.FromSeconds(120),
    };
    private readonly Task _accepting;
    private long _bodyBytes;
    private long _pauseAfter;
    private int _corrupt;
    private int _corrupted;
    private int _generation;
    private readonly Lock _gate = new();

    public DataPlaneProxy()
    {
        Port = ArcaServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Url => "http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The real data plane's port (known once the server started).</summary>
    public int UpstreamPort { get; set; }

    /// <summary>Once this many body bytes went out (in all), send no more until it is reset (0 = never stall).</summary>
    public long PauseAfter
    {
        get => Interlocked.Read(ref _pauseAfter);
        set => Interlocked.Exchange(ref _pauseAfter, value);
    }

    /// <summary>When set, every response body has one byte flipped.</summary>
    public bool Corrupt
    {
        get => Volatile.Read(ref _corrupt) != 0;
        set => Volatile.Write(ref _corrupt, value ? 1 : 0);
    }

    /// <summary>Body bytes sent to clients since the last <see cref="ResetCounts"/>.</summary>
    public long BodyBytes => Interlocked.Read(ref _bodyBytes);

    public int CorruptedResponses => Volatile.Read(ref _corrupted);

    /// <summary>Zeroes the counters and abandons exchanges still in flight (e.g. stalled for a client since killed).</summary>
    public void ResetCounts()
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _generation);
            Interlocked.Exchange(ref _bodyBytes, 0);
            Volatile.Write(ref _corrupted, 0);
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => ForwardAsync(ctx));
        }
    }

    private async Task ForwardAsync(HttpListenerContext ctx)
    {
        var generation = Volatile.Read(ref _generation);
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(ctx.Request.HttpMethod),
                $"http://127.0.0.1:{UpstreamPort}{ctx.Request.RawUrl}");
            if (ctx.Request.Headers["Range"] is { } range)
            {
                request.Headers.TryAddWithoutValidation("Range", range);
            }
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            ctx.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentRange is { } contentRange)
            {
                ctx.Response.Headers["Content-Range"] = contentRange.ToString();
            }
            if (response.Content.Headers.ContentType is { } type)
            {
                ctx.Response.ContentType = type.ToString();
            }
            var length = response.Content.Headers.ContentLength ?? 0;
            ctx.Response.ContentLength64 = length;
            var flipAt = Corrupt && length > 0 ? length / 2 : -1;
            await using var body = await response.Content.ReadAsStreamAsync();
            var output = ctx.Response.OutputStream;
            var buffer = new byte[64 << 10];
            long sent = 0;
            while (true)
            {
                var n = await body.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }
                while (PauseAfter > 0 && BodyBytes >= PauseAfter && _listener.IsListening)
                {
                    await Task.Delay(10);
                }
                // Counted (under the gate) before the write: bytes of an exchange abandoned by a reset are counted
                // in the old generation or not at all, never in the new one (a write to a killed client can succeed).
                lock (_gate)
                {
                    if (generation != Volatile.Read(ref _generation))
                    {
                        ctx.Response.Abort();
                        return;
                    }
                    Interlocked.Add(ref _bodyBytes, n);
                }
                if (flipAt >= sent && flipAt < sent + n)
                {
                    buffer[flipAt - sent] ^= 0x5a;
                    Interlocked.Increment(ref _corrupted);
                }
                await output.WriteAsync(buffer.AsMemory(0, n));
                sent += n;
            }
            ctx.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException
            or InvalidOperationException)
        {
            // The client went away (killed by the test) or the server did: drop this exchange.
            try
            {
                ctx.Response.Abort();
            }
            catch (ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
    }
}
