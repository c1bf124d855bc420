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
        };
    }

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
