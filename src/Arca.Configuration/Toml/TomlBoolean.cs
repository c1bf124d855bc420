namespace Arca.Configuration.Toml;

public sealed class TomlBoolean : TomlValue
{
    internal TomlBoolean(bool value, int line)
        : base(line) => Value = value;

    public bool Value { get; }

    public override string TypeName => "boolean";

    public override string ToString() => Value ? "true" : "false";
}
