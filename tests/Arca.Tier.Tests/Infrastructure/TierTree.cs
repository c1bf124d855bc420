using System.Net.Http.Headers;
using System.Text;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>
/// origin → seeder → edge, three real <c>arca serve</c> processes on loopback. Clients at every tier use the origin's
/// admin token (a tier validates it against its upstream). Disposing stops all three and removes their data dirs.
/// </summary>
internal sealed class TierTree : IAsyncDisposable
{
    private TierTree(ArcaProcess origin, ArcaProcess seeder, ArcaProcess edge, string token, TcpRelay? seederRelay, TcpRelay? edgeRelay)
    {
        Origin = origin;
        Seeder = seeder;
        Edge = edge;
        Token = token;
        SeederToOrigin = seederRelay;
        EdgeToSeeder = edgeRelay;
        OriginApi = new TierApi(origin, token);
        SeederApi = new TierApi(seeder, token);
        EdgeApi = new TierApi(edge, token);
    }

    public ArcaProcess Origin { get; }

    public ArcaProcess Seeder { get; }

    public ArcaProcess Edge { get; }

    /// <summary>The origin's admin token.</summary>
    public string Token { get; }

    public TierApi OriginApi { get; }

    public TierApi SeederApi { get; }

    public TierApi EdgeApi { get; }

    /// <summary>The relay in front of the origin's data plane that the seeder fetches through, if asked for.</summary>
    public TcpRelay? SeederToOrigin { get; }

    /// <summary>The relay in front of the seeder's data plane that the edge fetches through, if asked for.</summary>
    public TcpRelay? EdgeToSeeder { get; }

    /// <summary>What the three servers printed (their log level is warning), for failure messages.</summary>
    public string Logs
    {
        get
        {
            var text = new StringBuilder();
            foreach (var server in new[] { Origin, Seeder, Edge })
            {
                text.Append("\n--- ").Append(server.Name).Append(" output ---\n").Append(Tail(server.Output));
            }
            foreach (var (name, relay) in new[] { ("seeder → origin", SeederToOrigin), ("edge → seeder", EdgeToSeeder) })
            {
                if (relay is not null)
                {
                    text.Append("\n--- relay ").Append(name).Append(": ").Append(relay.DownstreamBytes).Append(" bytes ---\n")
                        .Append(Tail(relay.Endings));
                }
            }
            return text.ToString();
        }
    }

    public static async Task<TierTree> StartAsync(TierTreeOptions? options = null)
    {
        options ??= new TierTreeOptions();
        // Relays listen first; then the six ports of the tree are chosen together, so none can collide.
        var seederRelay = options.RelaySeederToOrigin ? new TcpRelay() : null;
        var edgeRelay = options.RelayEdgeToSeeder ? new TcpRelay() : null;
        var ports = ArcaProcess.FreePorts(6);
        (int, int) originPorts = (ports[0], ports[1]), seederPorts = (ports[2], ports[3]), edgePorts = (ports[4], ports[5]);
        seederRelay?.UpstreamPort = ports[1];
        edgeRelay?.UpstreamPort = ports[3];
        ArcaProcess? origin = null, seeder = null;
        try
        {
            origin = await ArcaProcess.StartAsync("origin", "origin", ports: originPorts);
            var token = origin.AdminToken;
            seeder = await ArcaProcess.StartAsync("seeder", "seeder", origin.ControlUrl, token,
                With(options.Seeder, seederRelay), seederPorts);
            var edge = await ArcaProcess.StartAsync("edge", "edge", seeder.ControlUrl, token, With(options.Edge, edgeRelay), edgePorts);
            return new TierTree(origin, seeder, edge, token, seederRelay, edgeRelay);
        }
        catch
        {
            foreach (var started in new[] { seeder, origin })
            {
                if (started is not null)
                {
                    await started.DisposeAsync();
                }
            }
            foreach (var relay in new[] { seederRelay, edgeRelay })
            {
                if (relay is not null)
                {
                    await relay.DisposeAsync();
                }
            }
            throw;
        }
    }

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> settings, TcpRelay? relay)
    {
        var all = new Dictionary<string, string>(settings);
        if (relay is not null)
        {
            all["tier.upstream_data_url"] = relay.Url;
        }
        return all;
    }

    /// <summary>An HTTP client with the origin's admin token that does not follow redirects.</summary>
    public HttpClient Client()
    {
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static string Tail(string output, int maxChars = 6000) =>
        output.Length <= maxChars ? output : "…" + output[^maxChars..];

    public async ValueTask DisposeAsync()
    {
        OriginApi.Dispose();
        SeederApi.Dispose();
        EdgeApi.Dispose();
        await Edge.DisposeAsync();
        await Seeder.DisposeAsync();
        await Origin.DisposeAsync();
        foreach (var relay in new[] { SeederToOrigin, EdgeToSeeder })
        {
            if (relay is not null)
            {
                await relay.DisposeAsync();
            }
        }
    }
}
