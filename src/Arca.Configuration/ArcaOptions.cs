namespace Arca.Configuration;

/// <summary>The typed view of the effective configuration that the server runs with.</summary>
public sealed record ArcaOptions
{
    public string Mode { get; init; } = "origin";
    public required string DataDir { get; init; }
    public string ControlListen { get; init; } = "0.0.0.0:8700";
    public string DataListen { get; init; } = "0.0.0.0:8701";
    public string DataTcpCongestion { get; init; } = "cubic";
    public long MaxBodyBytes { get; init; } = 1 << 20;
    public int ResolveMaxAgeSeconds { get; init; } = 2;
    public int LongPollMaxSeconds { get; init; } = 60;
    public bool AnonymousRead { get; init; }
    public string BootstrapTokenFile { get; init; } = "";
    public string LogLevel { get; init; } = "information";
    public string DataPublicUrl { get; init; } = "";
    public int PresignMaxTtlSeconds { get; init; } = 86400;
    public int ChunkMinBytes { get; init; } = 256 * 1024;
    public int ChunkAvgBytes { get; init; } = 1024 * 1024;
    public int ChunkMaxBytes { get; init; } = 4 * 1024 * 1024;
    public long PackSealBytes { get; init; } = 1L << 30;
    public long IndexMemoryBytes { get; init; } = 1L << 30;
    public int UploadSessionTtlSeconds { get; init; } = 3600;
    public string Upstream { get; init; } = "";
    public string UpstreamToken { get; init; } = "";
    public string UpstreamDataUrl { get; init; } = "";
    public int FetchConcurrency { get; init; } = 8;
    public int ResolveTtlSeconds { get; init; } = 30;
    public int MaxStaleSeconds { get; init; } = 3600;
    public int FillTimeoutSeconds { get; init; } = 60;
    public string PrewarmAliases { get; init; } = "auto";
    public long CacheCapacity { get; init; }

    /// <summary>A seeder or an edge: a read-through cache of <see cref="Upstream"/>.</summary>
    public bool IsTier => Mode is "seeder" or "edge";

    /// <summary>The alias globs a tier pre-warms (empty: none), with <c>auto</c> resolved by mode.</summary>
    public IReadOnlyList<string> PrewarmGlobs => PrewarmAliases == "auto"
        ? (Mode == "seeder" ? ["*"] : [])
        : PrewarmAliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string UploadsDir => Path.Combine(DataDir, "uploads");

    public string MetadataDir => Path.Combine(DataDir, "meta");

    public string EffectiveBootstrapTokenFile =>
        BootstrapTokenFile.Length > 0 ? BootstrapTokenFile : Path.Combine(DataDir, "admin.token");

    public static ArcaOptions From(EffectiveConfig config)
    {
        var dataDir = config.GetString("data_dir");
        return new ArcaOptions
        {
            Mode = config.GetString("mode"),
            DataDir = dataDir.Length > 0 ? dataDir : DefaultDataDir(),
            ControlListen = config.GetString("server.control_listen"),
            DataListen = config.GetString("server.data_listen"),
            DataTcpCongestion = config.GetString("server.data_tcp_congestion"),
            MaxBodyBytes = config.GetInteger("server.max_body_bytes"),
            ResolveMaxAgeSeconds = (int)Math.Min(int.MaxValue, config.GetInteger("server.resolve_max_age_seconds")),
            LongPollMaxSeconds = (int)Math.Min(3600, config.GetInteger("server.long_poll_max_seconds")),
            AnonymousRead = config.GetBoolean("auth.anonymous_read"),
            BootstrapTokenFile = config.GetString("auth.bootstrap_token_file"),
            LogLevel = config.GetString("log.level"),
            DataPublicUrl = config.GetString("server.data_public_url"),
            PresignMaxTtlSeconds = Int(config, "server.presign_max_ttl_seconds"),
            ChunkMinBytes = Int(config, "storage.chunk_min_bytes"),
            ChunkAvgBytes = Int(config, "storage.chunk_avg_bytes"),
            ChunkMaxBytes = Int(config, "storage.chunk_max_bytes"),
            PackSealBytes = config.GetInteger("storage.pack_seal_bytes"),
            IndexMemoryBytes = config.GetInteger("storage.index_memory_bytes"),
            UploadSessionTtlSeconds = Int(config, "uploads.session_ttl_seconds"),
            Upstream = config.GetString("upstream").TrimEnd('/'),
            UpstreamToken = config.GetString("tier.upstream_token"),
            UpstreamDataUrl = config.GetString("tier.upstream_data_url").TrimEnd('/'),
            FetchConcurrency = Int(config, "tier.fetch_concurrency"),
            ResolveTtlSeconds = Int(config, "tier.resolve_ttl_seconds"),
            MaxStaleSeconds = Int(config, "tier.max_stale_seconds"),
            FillTimeoutSeconds = Int(config, "tier.fill_timeout_seconds"),
            PrewarmAliases = config.GetString("tier.prewarm_aliases"),
            CacheCapacity = config.GetInteger("cache.capacity"),
        };
    }

    /// <summary>Checks what single keys cannot: a tier needs an http(s) upstream, an origin must not have one.</summary>
    public void Validate()
    {
        if (IsTier)
        {
            if (!Uri.TryCreate(Upstream, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new ConfigException($"upstream: mode {Mode} needs the upstream's control-plane URL (http://host:8700), got '{Upstream}'");
            }
            if (UpstreamDataUrl.Length > 0 && !Uri.TryCreate(UpstreamDataUrl, UriKind.Absolute, out _))
            {
                throw new ConfigException($"tier.upstream_data_url: '{UpstreamDataUrl}' is not an absolute URL");
            }
        }
        else if (Upstream.Length > 0)
        {
            throw new ConfigException("upstream: an origin has no upstream; use mode = \"seeder\" or \"edge\"");
        }
    }

    private static int Int(EffectiveConfig config, string key) => (int)Math.Min(int.MaxValue, config.GetInteger(key));

    /// <summary>/var/lib/arca for root; otherwise the XDG data directory of the user.</summary>
    public static string DefaultDataDir()
    {
        if (Environment.UserName == "root")
        {
            return "/var/lib/arca";
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "arca");
    }
}
