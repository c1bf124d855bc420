using System.Globalization;
using Arca.Configuration.Toml;

namespace Arca.Configuration.Tests.Toml;

/// <summary>Renders parsed values compactly so structural expectations fit in one [InlineData] string.</summary>
internal static class TomlValueFormatter
{
    public static string Format(TomlValue value) => value switch
    {
        TomlString s => "\"" + s.Value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"",
        TomlInteger i => i.Value.ToString(CultureInfo.InvariantCulture),
        TomlFloat f => double.IsNaN(f.Value) ? "nan" : double.IsInfinity(f.Value) ? (f.Value > 0 ? "inf" : "-inf") : f.Value.ToString("R", CultureInfo.InvariantCulture),
        TomlBoolean b => b.Value ? "true" : "false",
        TomlArray a => "[" + string.Join(", ", a.Select(Format)) + "]",
        TomlTable t => "{" + string.Join(", ", t.Select(entry => entry.Key + " = " + Format(entry.Value))) + "}",
        _ => throw new ArgumentException($"unexpected value type {value.GetType().Name}", nameof(value)),
    };
}
