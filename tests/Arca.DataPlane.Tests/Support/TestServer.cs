using System.Net;
using Microsoft.Extensions.Logging;

namespace Arca.DataPlane.Tests.Support;

/// <summary>A real listener on 127.0.0.1:0 over <see cref="TestContent"/>, with a signer keyed in a temp dir and a fake wall clock.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string GoodToken = "good-token";

    private TestServer(DataPlaneListener listener, TestContent content, UrlSigner signer, FakeTime time)
    {
        Listener = listener;
        Content = content;
        Signer = signer;
        Time = time;
    }

    public DataPlaneListener Listener { get; }

    public TestContent Content { get; }

    public UrlSigner Signer { get; }

    public FakeTime Time { get; }

    public IPEndPoint EndPoint => Listener.LocalEndPoint;

    public string BaseUrl => $"http://127.0.0.1:{EndPoint.Port}";

    public static TestServer Start(Func<DataPlaneOptions, DataPlaneOptions>? configure = null, int largeBytes = 24 << 20,
        ILogger<DataPlaneListener>? logger = null)
    {
        var content = new TestContent(largeBytes);
        var time = new FakeTime(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var signer = UrlSigner.LoadOrCreate(Path.Combine(content.Directory, "keys", "url-signing.key"), time);
        var options = new DataPlaneOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) };
        options = configure?.Invoke(options) ?? options;
        var listener = new DataPlaneListener(options, content, signer, new TokenAuthorizer(), time, logger);
        listener.Start();
        return new TestServer(listener, content, signer, time);
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Content.Dispose();
    }

    private sealed class TokenAuthorizer : IBearerAuthorizer
    {
        public bool Allows(string bearerToken) => bearerToken == GoodToken;
    }
}
