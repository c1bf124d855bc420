using System.Collections;

namespace Arca.Configuration.Toml;

/// <summary>An array value or an array of tables (<c>[[name]]</c>); elements may have mixed types.</summary>
public sealed class TomlArray : TomlValue, IReadOnlyList<TomlValue>
{
    private readonly List<TomlValue> _items = [];

    internal TomlArray(int line)
        : base(line)
    {
    }

    public override string TypeName => "array";

    public int Count => _items.Count;

    public TomlValue this[int index] => _items[index];

    public List<TomlValue>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<TomlValue> IEnumerable<TomlValue>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    internal void Add(TomlValue value) => _items.Add(value);
}
