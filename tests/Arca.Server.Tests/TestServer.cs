using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Arca.Configuration;

namespace Arca.Server.Tests;

/// <summary>
/// A real control plane on <c>127.0.0.1:0</c> over a fresh temp data dir. Disposing stops the host and deletes the
/// directory; <see cref="RestartAsync"/> stops and starts it again on the same data dir (the port changes, so
/// clients are handed out by <see cref="Client"/> and <see cref="Admin"/> is replaced).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly TimeProvider? _time;
    private readonly List<HttpClient> _clients = [];
    private ControlPlane? _host;
    private bool _requireStoredArtifacts;

    private TestServer(ArcaOptions options, TimeProvider? time)
    {
        Options = options;
        _time = time;
    }

    public ArcaOptions Options { get; }

    public ControlPlane Host => _host ?? throw new InvalidOperationException("the host is stopped");

    public ArcaServices Services => Host.Services;

    /// <summary>The bootstrap admin token the first start wrote to <c>admin.token</c>.</summary>
    public string AdminToken { get; private set; } = "";

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>A client that sends no Authorization header.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    public string DatabasePath => Path.Combine(Options.MetadataDir, "arca.db");

    /// <param name="requireStoredArtifacts">
    /// False (the default, for the catalog tests) lets versions name any well-formed digest; true keeps the product's
    /// rule that a version's artifact manifest must be stored (422 otherwise).
    /// </param>
    public static async Task<TestServer> StartAsync(Func<ArcaOptions, ArcaOptions>? configure = null, TimeProvider? time = null,
        bool requireStoredArtifacts = false)
    {
        var options = new ArcaOptions
        {
            DataDir = Path.Combine(Path.GetTempPath(), "arca-server-tests", Guid.NewGuid().ToString("N")),
            ControlListen = "127.0.0.1:0",
            DataListen = "127.0.0.1:0",
            ChunkMinBytes = 16 * 1024,
            ChunkAvgBytes = 64 * 1024,
            ChunkMaxBytes = 256 * 1024,
        };
        if (configure is not null)
        {
            options = configure(options);
        }
        var server = new TestServer(options, time) { _requireStoredArtifacts = requireStoredArtifacts };
        try
        {
            await server.StartHostAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts the host (again) on the same data dir.</summary>
    public async Task StartHostAsync()
    {
        if (_host is not null)
        {
            throw new InvalidOperationException("the host is already running");
        }
        _host = await ControlPlane.StartAsync(Options, _time, logging: b => { });
        if (!_requireStoredArtifacts)
        {
            _host.Services.Versions.ArtifactExists = null;
        }
        // A tier (seeder, edge) has no tokens of its own: its clients use the origin's.
        AdminToken = File.Exists(Options.EffectiveBootstrapTokenFile)
            ? (await File.ReadAllTextAsync(Options.EffectiveBootstrapTokenFile)).Trim()
            : "";
        Admin = Client(AdminToken);
        Anonymous = Client(null);
    }

    /// <summary>Stops the host and keeps the data dir (e.g. to edit the database behind its back).</summary>
    public async Task StopAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await host.DisposeAsync();
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartHostAsync();
    }

    /// <summary>A client of the running host; <paramref name="token"/> null sends no Authorization header.</summary>
    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(Host.ControlUrl), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        lock (_clients)
        {
            _clients.Add(client);
        }
        return client;
    }

    /// <summary>Creates a token with the admin client.</summary>
    public async Task<CreatedToken> CreateTokenAsync(string[] roles, string glob = "*", string? name = null)
    {
        var body = JsonSerializer.Serialize(new { name = name ?? "test-" + string.Join('-', roles), roles, models = glob });
        using var response = await Admin.PostJsonAsync("/v1/tokens", body);
        var json = await response.ExpectAsync(HttpStatusCode.Created);
        return new CreatedToken(json.Str("id"), json.Str("name"), json.Str("token"));
    }

    /// <summary>Row counts of every table, to show that a rejected request wrote nothing.</summary>
    public StoreSnapshot Snapshot()
    {
        using var c = Services.Database.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM models), (SELECT COUNT(*) FROM versions), (SELECT COUNT(*) FROM runs), " +
            "(SELECT COUNT(*) FROM aliases), (SELECT COUNT(*) FROM alias_history), (SELECT COUNT(*) FROM events), " +
            "(SELECT COUNT(*) FROM audit), (SELECT COUNT(*) FROM tokens), (SELECT COUNT(*) FROM tokens WHERE revoked_at IS NOT NULL), " +
            "(SELECT COUNT(*) FROM version_metrics) + (SELECT COUNT(*) FROM version_params) + (SELECT COUNT(*) FROM version_tags)";
        using var r = cmd.ExecuteReader();
        r.Read();
        return new StoreSnapshot(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
            r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9));
    }

    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
            _clients.Clear();
        }
        await StopAsync();
        try
        {
            Directory.Delete(Options.DataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind does not fail a test.
        }
    }
}
