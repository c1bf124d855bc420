namespace Arca.Configuration.Tests;

public sealed class EffectiveConfigTests : IDisposable
{
    private static readonly Dictionary<string, string> None = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("arca-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string text)
    {
        var path = Path.Combine(_dir, "registry.toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static string RepoFile(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Appliance.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }
        return Path.Combine(dir, name);
    }

    [Fact]
    public void Load_NoFile_GivesDefaults()
    {
        var config = EffectiveConfig.Load(null, None, None);
        Assert.Equal("origin", config.GetString("mode"));
        Assert.Equal("0.0.0.0:8700", config.GetString("server.control_listen"));
        Assert.False(config.GetBoolean("auth.anonymous_read"));
        Assert.All(config.Settings, s => Assert.Equal(ConfigSource.Default, s.Source));
    }

    [Fact]
    public void Load_Precedence_FlagOverEnvironmentOverFileOverDefault()
    {
        var file = WriteFile("mode = \"origin\"\n[server]\ncontrol_listen = \"127.0.0.1:1\"\ndata_listen = \"127.0.0.1:2\"\nmax_body_bytes = 4096\n");
        var env = new Dictionary<string, string> { ["ARCA_SERVER_CONTROL_LISTEN"] = "127.0.0.1:3", ["ARCA_SERVER_DATA_LISTEN"] = "127.0.0.1:4" };
        var flags = new Dictionary<string, string> { ["server.control_listen"] = "127.0.0.1:5" };

        var config = EffectiveConfig.Load(file, env, flags);

        Assert.Equal("127.0.0.1:5", config.GetString("server.control_listen"));
        Assert.Equal(ConfigSource.Flag, config["server.control_listen"].Source);
        Assert.Equal("127.0.0.1:4", config.GetString("server.data_listen"));
        Assert.Equal(ConfigSource.Environment, config["server.data_listen"].Source);
        Assert.Equal("ARCA_SERVER_DATA_LISTEN", config["server.data_listen"].Origin);
        Assert.Equal(4096, config.GetInteger("server.max_body_bytes"));
        Assert.Equal($"{file}:5", config["server.max_body_bytes"].Origin);
        Assert.Equal(ConfigSource.Default, config["auth.anonymous_read"].Source);
    }

    [Fact]
    public void Load_ClientEnvironmentVariables_AreIgnored()
    {
        var env = new Dictionary<string, string> { ["ARCA_URL"] = "http://x", ["ARCA_TOKEN"] = "t" };
        Assert.Equal("origin", EffectiveConfig.Load(null, env, None).GetString("mode"));
    }

    [Theory]
    [InlineData("bogus = 1\n", ":1: bogus: unknown key")]
    [InlineData("[server]\nbogus = 1\n", ":2: server.bogus: unknown key")]
    [InlineData("[nope]\nx = 1\n", ":1: nope: unknown table")]
    [InlineData("[server]\nmax_body_bytes = \"big\"\n", ":2: server.max_body_bytes: expected integer, found string")]
    [InlineData("[auth]\nanonymous_read = 1\n", ":2: auth.anonymous_read: expected boolean, found integer")]
    [InlineData("mode = \"primary\"\n", ":1: mode: 'primary' is not one of origin, seeder, edge")]
    [InlineData("[server]\nmax_body_bytes = 10\n", ":2: server.max_body_bytes: 10 is below the minimum 1024")]
    [InlineData("mode = \"origin\n", ":1:")]
    [InlineData("\n\nmode = \n", ":3:")]
    public void Load_BadFile_StopsWithFileLineKeyAndReason(string text, string expected)
    {
        var file = WriteFile(text);
        var e = Assert.Throws<ConfigException>(() => EffectiveConfig.Load(file, None, None));
        Assert.StartsWith(file + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ARCA_SERVER_MAX_BODY_BYTES", "lots", "expected integer")]
    [InlineData("ARCA_AUTH_ANONYMOUS_READ", "maybe", "expected boolean")]
    [InlineData("ARCA_MODE", "relay", "is not one of")]
    public void Load_BadEnvironmentValue_NamesTheVariable(string variable, string value, string expected)
    {
        var env = new Dictionary<string, string> { [variable] = value };
        var e = Assert.Throws<ConfigException>(() => EffectiveConfig.Load(null, env, None));
        Assert.StartsWith(variable + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownFlagKey_IsAnError()
    {
        var flags = new Dictionary<string, string> { ["server.nope"] = "1" };
        var e = Assert.Throws<ConfigException>(() => EffectiveConfig.Load(null, None, flags));
        Assert.Contains("server.nope", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedRegistryToml_ParsesAndMentionsEveryKeyWithItsDefault()
    {
        var path = RepoFile("registry.toml");
        var config = EffectiveConfig.Load(path, None, None);
        foreach (var setting in config.Settings)
        {
            Assert.Equal(ConfigSource.File, setting.Source);
            Assert.Equal(EffectiveConfig.Load(null, None, None)[setting.Key.Name].Value, setting.Value);
        }
    }

    [Fact]
    public void ArcaOptions_EmptyDataDir_UsesPlatformDefault()
    {
        var options = ArcaOptions.From(EffectiveConfig.Load(null, None, None));
        Assert.Equal(ArcaOptions.DefaultDataDir(), options.DataDir);
        Assert.Equal(Path.Combine(options.DataDir, "admin.token"), options.EffectiveBootstrapTokenFile);
    }

    [Fact]
    public void ConfigKey_EnvironmentVariableAndFlag_FollowTheKeyName()
    {
        var key = ConfigSchema.Find("server.max_body_bytes")!;
        Assert.Equal("ARCA_SERVER_MAX_BODY_BYTES", key.EnvironmentVariable);
        Assert.Equal("--max-body-bytes", key.Flag);
    }
}
