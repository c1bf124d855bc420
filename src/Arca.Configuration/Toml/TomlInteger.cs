using System.Globalization;

namespace Arca.Configuration.Toml;

public sealed class TomlInteger : TomlValue
{
    internal TomlInteger(long value, int line)
        : base(line) => Value = value;

    public long Value { get; }

    public override string TypeName => "integer";

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
