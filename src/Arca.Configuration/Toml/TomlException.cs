namespace Arca.Configuration.Toml;

/// <summary>
/// A document that is not valid TOML, or uses a feature outside the supported subset. The message reads
/// <c>file:line: key: what is wrong</c>, without the key part when the problem is not tied to a key.
/// </summary>
public sealed class TomlException : Exception
{
    internal TomlException(string fileName, int line, string? key, string problem)
        : base(key is null ? $"{fileName}:{line}: {problem}" : $"{fileName}:{line}: {key}: {problem}")
    {
        FileName = fileName;
        Line = line;
        Key = key;
    }

    public string FileName { get; }

    public int Line { get; }

    /// <summary>The dotted key (including its table) the problem is about, if any.</summary>
    public string? Key { get; }
}
