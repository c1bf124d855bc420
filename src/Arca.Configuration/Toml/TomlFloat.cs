using System.Globalization;

namespace Arca.Configuration.Toml;

public sealed class TomlFloat : TomlValue
{
    internal TomlFloat(double value, int line)
        : base(line) => Value = value;

    public double Value { get; }

    public override string TypeName => "float";

    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}
