namespace Arca.Configuration.Toml;

/// <summary>
/// Reads the strict TOML subset Arca's configuration uses: everything in TOML 1.0 except dates and times.
/// Anything else is rejected with a <see cref="TomlException"/> naming the file and line.
/// </summary>
public static class TomlParser
{
    /// <param name="text">The document.</param>
    /// <param name="fileName">Used only in error messages.</param>
    public static TomlTable Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        return new TomlReader(text, fileName).ReadDocument();
    }
}
