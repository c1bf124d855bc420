namespace Arca.Configuration;

/// <summary>One setting of <c>registry.toml</c>: its dotted name, type, default and meaning.</summary>
public sealed record ConfigKey(string Name, ConfigValueKind Kind, string Default, string Description)
{
    /// <summary>The environment variable that sets this key: <c>ARCA_</c> + the name upper-cased, dots as underscores.</summary>
    public string EnvironmentVariable => "ARCA_" + Name.Replace('.', '_').ToUpperInvariant();

    /// <summary>
    /// The command-line flag of <c>arca serve</c> that sets this key: <c>--control-listen</c> for <c>server.*</c> keys,
    /// otherwise the dotted name with dashes (<c>--log-level</c>, <c>--auth-anonymous-read</c>).
    /// </summary>
    public string Flag => "--" + (Name.StartsWith("server.", StringComparison.Ordinal) ? Name["server.".Length..] : Name.Replace('.', '-'))
        .Replace('_', '-');

    /// <summary>Allowed values for an enumerated string key, or null for any.</summary>
    public IReadOnlyList<string>? Allowed { get; init; }

    /// <summary>Smallest allowed integer value.</summary>
    public long Min { get; init; } = long.MinValue;
}
