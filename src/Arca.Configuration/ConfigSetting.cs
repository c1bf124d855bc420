namespace Arca.Configuration;

/// <summary>The effective value of one key and where it came from (<c>registry.toml:12</c>, <c>ARCA_MODE</c>, …).</summary>
public sealed record ConfigSetting(ConfigKey Key, object Value, ConfigSource Source, string Origin)
{
    public string Display => Value switch
    {
        bool b => b ? "true" : "false",
        string s => "\"" + s + "\"",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
