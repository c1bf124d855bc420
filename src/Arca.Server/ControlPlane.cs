using System.Globalization;
using System.Net;
using Arca.Configuration;
using Arca.DataPlane;
using Arca.Server.Blobs;
using Arca.Server.Api;
using Arca.Server.Endpoints;
using Arca.Server.Http;
using Arca.Server.Tier;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arca.Server;

/// <summary>
/// The control plane: Kestrel with the <c>/v1</c> JSON API over the metadata store. Start it with
/// <see cref="StartAsync"/>; tests bind <c>127.0.0.1:0</c> and read <see cref="ControlUrl"/>.
/// </summary>
public sealed partial class ControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ArcaServices _services;
    private readonly DataPlaneListener _dataPlane;

    private ControlPlane(WebApplication app, ArcaServices services, DataPlaneListener dataPlane)
    {
        _app = app;
        _services = services;
        _dataPlane = dataPlane;
    }

    /// <summary>The zero-copy listener serving blob and chunk bytes.</summary>
    public DataPlaneListener DataPlane => _dataPlane;

    /// <summary>The data plane's base URL, e.g. <c>http://127.0.0.1:8701</c>.</summary>
    public string DataUrl => "http://127.0.0.1:" + _dataPlane.LocalEndPoint.Port.ToString(CultureInfo.InvariantCulture);

    public ArcaServices Services => _services;

    /// <summary>The base URL the control plane listens on, e.g. <c>http://127.0.0.1:8700</c>.</summary>
    public string ControlUrl { get; private set; } = "";

    public static async Task<ControlPlane> StartAsync(ArcaOptions options, TimeProvider? time = null,
        Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        // Metadata (token hashes, audit) and the URL-signing key live here: owner and group only.
        Directory.CreateDirectory(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(ParseLevel(options.LogLevel));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging(builder.Logging);
        }
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.Listen(ParseEndpoint(options.ControlListen, "server.control_listen"));
        });
        var receiveBlocks = false;
        builder.WebHost.UseSockets(o => receiveBlocks = ReceiveBlockPool.TryInstall(o));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));

        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger("Arca.Server");
        var services = new ArcaServices(options, time ?? TimeProvider.System, loggers);
        var access = new Access(services.Tokens, options.AnonymousRead);
        if (services.Tier is { } tier)
        {
            tier.Gateway = new TierGateway(options, tier.Upstream, tier.Content, services.BlobCatalog, tier.Counters, services.Time,
                loggers.CreateLogger("Arca.Tier"));
            access = tier.Gateway.Access;
        }
        DataPlaneListener? dataPlane = null;

        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
                if (ctx.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !ctx.Response.HasStarted)
                {
                    await Exchange.Problem(ctx, ProblemCode.MethodNotAllowed, $"{ctx.Request.Method} is not allowed here");
                }
                else if (ctx.Response.StatusCode == StatusCodes.Status404NotFound && !ctx.Response.HasStarted && ctx.GetEndpoint() is null)
                {
                    // No route matched at all. (Not a MapFallback: a fallback route would also swallow the 405s above.)
                    await Exchange.Problem(ctx, ProblemCode.NotFound, $"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && !ctx.Response.HasStarted)
            {
                Log.UnhandledError(log, ctx.Request.Method, ctx.Request.Path.Value ?? "", e);
                ctx.Response.Clear();
                await Exchange.Problem(ctx, ProblemCode.Internal, "the server failed; see its log");
            }
        });
        if (services.Tier is { } gatewayTier)
        {
            app.Use((ctx, next) => gatewayTier.Gateway.InvokeAsync(ctx, next));
        }
        app.UseMiddleware<ModelPathRewriter>();
        app.UseRouting();

        new ModelEndpoints(services, access).Map(app);
        new VersionEndpoints(services, access).Map(app);
        new AliasEndpoints(services, access).Map(app);
        new RunEndpoints(services, access).Map(app);
        new EventEndpoints(services, access).Map(app);
        new AdminEndpoints(services, access).Map(app);
        new HealthEndpoints(services).Map(app);
        new BlobEndpoints(services, access).Map(app);
        new ArtifactEndpoints(services, access).Map(app);
        new TierEndpoints(services, access, () => dataPlane?.Counters.BytesSent ?? 0).Map(app);

        // A tier authenticates with its upstream's tokens: it has none of its own to bootstrap.
        var tokenFile = options.EffectiveBootstrapTokenFile;
        if (!options.IsTier && await services.Tokens.EnsureBootstrapAsync(tokenFile))
        {
            Log.BootstrapToken(log, tokenFile);
        }

        dataPlane = new DataPlaneListener(
            new DataPlaneOptions
            {
                Listen = ParseEndpoint(options.DataListen, "server.data_listen"),
                TcpCongestion = options.DataTcpCongestion,
            },
            services.Tier is { } t ? t.Content : new StoreContentSource(services.Chunks, services.BlobCatalog, loggers.CreateLogger<StoreContentSource>()),
            services.Signer,
            services.Tier is { } t2 ? new TierBearerAuthorizer(t2.Gateway) : new TokenBearerAuthorizer(services.Tokens),
            services.Time,
            loggers.CreateLogger<DataPlaneListener>());
        dataPlane.Start();
        services.Links.DataPort = dataPlane.LocalEndPoint.Port;

        await app.StartAsync(ct);
        var plane = new ControlPlane(app, services, dataPlane);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        plane.ControlUrl = address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
            .Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        Log.Started(log, options.Mode, address, dataPlane.LocalEndPoint.ToString(), options.DataDir);
        Log.ReceiveBlocks(log, receiveBlocks ? ReceiveBlockPool.BlockSize / 1024 : 4,
            receiveBlocks ? "" : " (Kestrel's own pool: this ASP.NET Core has no hook for it)");
        return plane;
    }

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _dataPlane.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Parses <c>host:port</c>; host may be an IP address, <c>localhost</c> or <c>*</c>.</summary>
    public static IPEndPoint ParseEndpoint(string value, string key)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is >= 0 and <= 65535)
        {
            var host = value[..colon].Trim('[', ']');
            IPAddress? ip = host switch
            {
                "localhost" => IPAddress.Loopback,
                "*" or "" => IPAddress.Any,
                _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
            };
            if (ip is not null)
            {
                return new IPEndPoint(ip, port);
            }
        }
        throw new ConfigException($"{key}: '{value}' is not host:port (e.g. 0.0.0.0:8700)");
    }

    private static LogLevel ParseLevel(string level) => level switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        _ => LogLevel.Information,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.Started, Level = LogLevel.Information,
            Message = "arca {Mode}: control plane on {Address}, data plane on {DataAddress}, data in {DataDir}")]
        public static partial void Started(ILogger logger, string mode, string address, string dataAddress, string dataDir);

        [LoggerMessage(EventId = LogEvents.ReceiveBlocks, Level = LogLevel.Debug,
            Message = "control plane reads sockets in {KiB} KiB blocks{Why}")]
        public static partial void ReceiveBlocks(ILogger logger, int kiB, string why);

        [LoggerMessage(EventId = LogEvents.BootstrapToken, Level = LogLevel.Warning,
            Message = "first start: an admin token was written to {Path} (mode 0600); use it to create narrower tokens")]
        public static partial void BootstrapToken(ILogger logger, string path);

        [LoggerMessage(EventId = LogEvents.UnhandledError, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
        public static partial void UnhandledError(ILogger logger, string method, string path, Exception e);
    }
}
