namespace Arca.Configuration;

/// <summary>One setting of <c>registry.toml</c>: its dotted name, type, default and meaning.</summary>
public sealed record ConfigKey(string Name, ConfigValueKind Kind, string Default, string Description)
{
    /// <summary>The environment variable that sets this key: <c>ARCA_</c> + the name upper-cased, dots as underscores.</summary>
    public string EnvironmentVariable => "ARCA_" + Name.Replace('.', '_').ToUpperInvariant();

    /// <summary>The command-line flag of <c>arca serve</c> that sets this key.</summary>
    public string Flag => "--" + Name[(Name.LastIndexOf('.') + 1)..].Replace('_', '-');

    /// <summary>Allowed values for an enumerated string key, or null for any.</summary>
    public IReadOnlyList<string>? Allowed { get; init; }

    /// <summary>Smallest allowed integer value.</summary>
    public long Min { get; init; } = long.MinValue;
}
