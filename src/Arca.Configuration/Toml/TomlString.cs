namespace Arca.Configuration.Toml;

public sealed class TomlString : TomlValue
{
    internal TomlString(string value, int line)
        : base(line) => Value = value;

    public string Value { get; }

    public override string TypeName => "string";

    public override string ToString() => Value;
}
