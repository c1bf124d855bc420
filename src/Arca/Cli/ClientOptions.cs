using System.CommandLine;
using Arca.Client;
using Arca.Configuration;
using Arca.Configuration.Toml;

namespace Arca.Cli;

/// <summary>
/// Where the client finds the registry and its token: <c>--url</c>/<c>--token</c>, then <c>ARCA_URL</c>/<c>ARCA_TOKEN</c>,
/// then the client config file (<c>$ARCA_CLIENT_CONFIG</c> or <c>~/.config/arca/client.toml</c> with <c>url</c>,
/// <c>token</c>, <c>token_file</c>), then <c>http://127.0.0.1:8700</c> and, on the server itself, the bootstrap
/// admin token file of the default data directory.
/// </summary>
internal sealed class ClientOptions
{
    public const string DefaultUrl = "http://127.0.0.1:8700";

    private readonly Option<string?> _url = new("--url") { Description = "registry URL (default $ARCA_URL or " + DefaultUrl + ")" };
    private readonly Option<string?> _token = new("--token") { Description = "bearer token (default $ARCA_TOKEN)" };
    private readonly Option<bool> _json = new("--json") { Description = "print JSON for scripts instead of tables" };

    public Option<bool> Json => _json;

    public void AddTo(Command command)
    {
        command.Options.Add(_url);
        command.Options.Add(_token);
        command.Options.Add(_json);
    }

    public RegistryClient Connect(ParseResult result) => Connect(result, null);

    /// <summary>A client of <paramref name="urlOverride"/> (e.g. a seeder or edge) with the same token, or of the configured URL.</summary>
    public RegistryClient Connect(ParseResult result, string? urlOverride)
    {
        var file = ReadClientFile();
        var url = urlOverride ?? result.GetValue(_url) ?? Env("ARCA_URL") ?? file.GetValueOrDefault("url") ?? DefaultUrl;
        var token = result.GetValue(_token) ?? Env("ARCA_TOKEN") ?? file.GetValueOrDefault("token")
            ?? ReadTokenFile(file.GetValueOrDefault("token_file")) ?? ReadTokenFile(LocalAdminTokenFile());
        return new RegistryClient(url, token);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static Dictionary<string, string> ReadClientFile()
    {
        var path = Env("ARCA_CLIENT_CONFIG") ?? Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "arca", "client.toml");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }
        foreach (var (key, value) in TomlParser.Parse(File.ReadAllText(path), path))
        {
            if (key is not ("url" or "token" or "token_file") || value is not TomlString s)
            {
                throw new ConfigException($"{path}:{value.Line}: {key}: expected one of url, token, token_file as strings");
            }
            values[key] = s.Value;
        }
        return values;
    }

    private static string? ReadTokenFile(string? path)
    {
        try
        {
            return path is not null && File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string LocalAdminTokenFile() => Path.Combine(ArcaOptions.DefaultDataDir(), "admin.token");
}
