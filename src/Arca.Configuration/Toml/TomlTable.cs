using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Arca.Configuration.Toml;

/// <summary>A table; enumerates its keys in the order they appear in the document.</summary>
public sealed class TomlTable : TomlValue, IReadOnlyDictionary<string, TomlValue>
{
    private readonly OrderedDictionary<string, TomlValue> _entries = new(StringComparer.Ordinal);

    internal TomlTable(int line)
        : base(line)
    {
    }

    public override string TypeName => "table";

    public int Count => _entries.Count;

    public IEnumerable<string> Keys => _entries.Keys;

    public IEnumerable<TomlValue> Values => _entries.Values;

    public TomlValue this[string key] => _entries[key];

    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TomlValue value) => _entries.TryGetValue(key, out value);

    /// <summary>
    /// Looks up a dotted path such as <c>auth.anonymous_read</c> through nested tables. Segments are split on
    /// every '.', so keys that themselves contain a dot must be looked up one level at a time.
    /// </summary>
    public bool TryGetPath(string path, [NotNullWhen(true)] out TomlValue? value)
    {
        ArgumentNullException.ThrowIfNull(path);
        TomlValue current = this;
        foreach (string segment in path.Split('.'))
        {
            if (current is not TomlTable table || !table.TryGetValue(segment, out TomlValue? next))
            {
                value = null;
                return false;
            }

            current = next;
        }

        value = current;
        return true;
    }

    public OrderedDictionary<string, TomlValue>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, TomlValue>> IEnumerable<KeyValuePair<string, TomlValue>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    internal void Add(string key, TomlValue value) => _entries.Add(key, value);
}
