using System.CommandLine;
using Arca.Configuration;

namespace Arca.Cli;

/// <summary>
/// The options that locate and override the server configuration, shared by <c>arca serve</c> and
/// <c>arca config show</c>: <c>--config</c>, one flag per common key, and <c>--set key=value</c> for any key.
/// </summary>
internal sealed class ServerConfigFlags
{
    private static readonly string[] FlagKeys =
        ["mode", "upstream", "data_dir", "server.control_listen", "server.data_listen", "auth.anonymous_read", "log.level"];

    private readonly Option<string?> _config = new("--config", "-c")
    {
        Description = "registry.toml to read (default: $ARCA_CONFIG, /etc/arca/registry.toml, <prefix>/etc/arca/registry.toml)",
    };

    private readonly Option<string[]> _set = new("--set")
    {
        Description = "override any key, e.g. --set server.max_body_bytes=2097152 (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly List<(string Key, Option<string?> Option)> _keyed = [];

    public ServerConfigFlags()
    {
        foreach (var name in FlagKeys)
        {
            var key = ConfigSchema.Find(name)!;
            _keyed.Add((name, new Option<string?>(key.Flag) { Description = key.Description }));
        }
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_config);
        foreach (var (_, option) in _keyed)
        {
            command.Options.Add(option);
        }
        command.Options.Add(_set);
    }

    /// <summary>Loads the effective configuration: flags over ARCA_* over the file over defaults.</summary>
    public EffectiveConfig Load(ParseResult result)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, option) in _keyed)
        {
            if (result.GetValue(option) is { } value)
            {
                flags[key] = value;
            }
        }
        foreach (var assignment in result.GetValue(_set) ?? [])
        {
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException($"--set {assignment}: expected key=value");
            }
            flags[assignment[..eq].Trim()] = assignment[(eq + 1)..].Trim();
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && k.StartsWith("ARCA_", StringComparison.Ordinal) && e.Value is string v)
            {
                env[k] = v;
            }
        }
        return EffectiveConfig.Load(LocateFile(result.GetValue(_config)), env, flags);
    }

    private static string? LocateFile(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            return explicitPath;
        }
        if (Environment.GetEnvironmentVariable("ARCA_CONFIG") is { Length: > 0 } fromEnv)
        {
            return fromEnv;
        }
        foreach (var candidate in DefaultLocations())
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>/etc/arca/registry.toml, then PREFIX/etc/arca/registry.toml for a binary in PREFIX/lib/arca (install.sh).</summary>
    public static IEnumerable<string> DefaultLocations()
    {
        yield return "/etc/arca/registry.toml";
        yield return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "etc", "arca", "registry.toml"));
    }
}
