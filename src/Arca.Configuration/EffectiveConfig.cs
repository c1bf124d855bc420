using System.Globalization;
using Arca.Configuration.Toml;

namespace Arca.Configuration;

/// <summary>
/// The configuration in force: defaults, overridden by the file, then <c>ARCA_*</c> environment variables,
/// then command-line flags.
/// </summary>
public sealed class EffectiveConfig
{
    private readonly Dictionary<string, ConfigSetting> _settings;

    private EffectiveConfig(Dictionary<string, ConfigSetting> settings, string? filePath)
    {
        _settings = settings;
        FilePath = filePath;
    }

    public string? FilePath { get; }

    public IEnumerable<ConfigSetting> Settings => ConfigSchema.Keys.Select(k => _settings[k.Name]);

    public ConfigSetting this[string name] => _settings[name];

    public string GetString(string name) => (string)_settings[name].Value;

    public long GetInteger(string name) => (long)_settings[name].Value;

    public bool GetBoolean(string name) => (bool)_settings[name].Value;

    /// <summary>Loads the configuration. <paramref name="filePath"/> may be null (no file).</summary>
    /// <param name="environment">Environment variables; those starting with ARCA_ that name no key are ignored
    /// (ARCA_URL and ARCA_TOKEN belong to the client).</param>
    /// <param name="flags">Dotted key → raw value, from the command line.</param>
    public static EffectiveConfig Load(
        string? filePath,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> flags)
    {
        var settings = new Dictionary<string, ConfigSetting>();
        foreach (var key in ConfigSchema.Keys)
        {
            settings[key.Name] = new ConfigSetting(key, Parse(key, key.Default, "default"), ConfigSource.Default, "default");
        }

        if (filePath is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(filePath);
            }
            catch (IOException e)
            {
                throw new ConfigException($"{filePath}: cannot read: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ConfigException($"{filePath}: cannot read: {e.Message}");
            }
            TomlTable root;
            try
            {
                root = TomlParser.Parse(text, filePath);
            }
            catch (TomlException e)
            {
                throw new ConfigException(e.Message);
            }
            ApplyTable(root, "", filePath, settings);
        }

        foreach (var key in ConfigSchema.Keys)
        {
            if (environment.TryGetValue(key.EnvironmentVariable, out var raw))
            {
                settings[key.Name] = new ConfigSetting(key, Parse(key, raw, key.EnvironmentVariable),
                    ConfigSource.Environment, key.EnvironmentVariable);
            }
        }

        foreach (var (name, raw) in flags)
        {
            var key = ConfigSchema.Find(name) ?? throw new ConfigException($"unknown setting '{name}'");
            settings[key.Name] = new ConfigSetting(key, Parse(key, raw, key.Flag), ConfigSource.Flag, key.Flag);
        }

        return new EffectiveConfig(settings, filePath);
    }

    private static void ApplyTable(TomlTable table, string prefix, string file, Dictionary<string, ConfigSetting> settings)
    {
        foreach (var (name, value) in table)
        {
            var dotted = prefix.Length == 0 ? name : prefix + "." + name;
            if (value is TomlTable inner)
            {
                if (!ConfigSchema.Keys.Any(k => k.Name.StartsWith(dotted + ".", StringComparison.Ordinal)))
                {
                    throw new ConfigException($"{file}:{value.Line}: {dotted}: unknown table");
                }
                ApplyTable(inner, dotted, file, settings);
                continue;
            }
            var key = ConfigSchema.Find(dotted)
                ?? throw new ConfigException($"{file}:{value.Line}: {dotted}: unknown key");
            object parsed = (key.Kind, value) switch
            {
                (ConfigValueKind.String, TomlString s) => s.Value,
                (ConfigValueKind.Integer, TomlInteger i) => i.Value,
                (ConfigValueKind.Boolean, TomlBoolean b) => b.Value,
                (ConfigValueKind.Float, TomlFloat f) => f.Value,
                (ConfigValueKind.Float, TomlInteger i) => (double)i.Value,
                _ => throw new ConfigException(
                    $"{file}:{value.Line}: {dotted}: expected {KindName(key.Kind)}, found {value.TypeName}"),
            };
            var where = $"{file}:{value.Line}";
            Validate(key, parsed, where);
            settings[key.Name] = new ConfigSetting(key, parsed, ConfigSource.File, where);
        }
    }

    private static object Parse(ConfigKey key, string raw, string where)
    {
        object value = key.Kind switch
        {
            ConfigValueKind.String => raw,
            ConfigValueKind.Integer => long.TryParse(raw.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture, out var l)
                ? l
                : throw new ConfigException($"{where}: {key.Name}: expected integer, found '{raw}'"),
            ConfigValueKind.Boolean => raw switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new ConfigException($"{where}: {key.Name}: expected boolean (true/false), found '{raw}'"),
            },
            ConfigValueKind.Float => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw new ConfigException($"{where}: {key.Name}: expected float, found '{raw}'"),
            _ => throw new ConfigException($"{where}: {key.Name}: unsupported kind"),
        };
        Validate(key, value, where);
        return value;
    }

    private static void Validate(ConfigKey key, object value, string where)
    {
        if (key.Allowed is { } allowed && value is string s && !allowed.Contains(s))
        {
            throw new ConfigException($"{where}: {key.Name}: '{s}' is not one of {string.Join(", ", allowed)}");
        }
        if (value is long l && l < key.Min)
        {
            throw new ConfigException($"{where}: {key.Name}: {l} is below the minimum {key.Min}");
        }
    }

    private static string KindName(ConfigValueKind kind) => kind switch
    {
        ConfigValueKind.String => "string",
        ConfigValueKind.Integer => "integer",
        ConfigValueKind.Boolean => "boolean",
        _ => "float",
    };
}
