namespace Arca.Configuration.Toml;

/// <summary>A value read from a TOML document.</summary>
public abstract class TomlValue
{
    private protected TomlValue(int line) => Line = line;

    /// <summary>1-based line where the value (or the key or header that defined it) appears.</summary>
    public int Line { get; internal set; }

    /// <summary>"string", "integer", "float", "boolean", "array" or "table".</summary>
    public abstract string TypeName { get; }
}
