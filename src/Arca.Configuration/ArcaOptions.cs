namespace Arca.Configuration;

/// <summary>The typed view of the effective configuration that the server runs with.</summary>
public sealed record ArcaOptions
{
    public string Mode { get; init; } = "origin";
    public required string DataDir { get; init; }
    public string ControlListen { get; init; } = "0.0.0.0:8700";
    public string DataListen { get; init; } = "0.0.0.0:8701";
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
    public int UploadSessionTtlSeconds { get; init; } = 3600;

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
            UploadSessionTtlSeconds = Int(config, "uploads.session_ttl_seconds"),
        };
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
