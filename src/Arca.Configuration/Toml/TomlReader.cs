using System.Buffers;
using System.Globalization;
using System.Text;

namespace Arca.Configuration.Toml;

/// <summary>Recursive-descent reader over one document; one instance per <see cref="TomlParser.Parse"/> call.</summary>
internal sealed class TomlReader
{
    private static readonly SearchValues<char> BareKeyChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private readonly string _text;
    private readonly string _fileName;
    private readonly TomlTable _root;

    // How a table came to exist decides what may add to it later (TOML 1.0, "Table" and "Array of Tables").
    private readonly Dictionary<TomlTable, TableOrigin> _origins = new(ReferenceEqualityComparer.Instance);

    // Arrays created by [[name]] may be appended to by later headers; arrays written as values may not.
    private readonly HashSet<TomlArray> _tableArrays = new(ReferenceEqualityComparer.Instance);

    private int _pos;
    private int _line = 1;
    private TomlTable _current;
    private string _currentPath = "";

    // The full key whose value is being read, so value errors can name it.
    private string? _valueKey;

    public TomlReader(string text, string fileName)
    {
        _text = text;
        _fileName = fileName;
        _root = NewTable(1, TableOrigin.Header);
        _current = _root;
        if (text.StartsWith('\uFEFF'))
        {
            _pos = 1;
        }
    }

    private enum TableOrigin
    {
        /// <summary>Created as the parent of a <c>[a.b]</c> header; may still be defined once by <c>[a]</c>.</summary>
        Implicit,

        /// <summary>Defined by <c>[a]</c> or <c>[[a]]</c> (and the root).</summary>
        Header,

        /// <summary>Created by a dotted key <c>a.b = 1</c>; only further dotted keys may add to it.</summary>
        Dotted,

        /// <summary>Written as <c>{ ... }</c>; complete once closed.</summary>
        Inline,
    }

    private bool AtEnd => _pos >= _text.Length;

    public TomlTable ReadDocument()
    {
        while (true)
        {
            SkipSpaces();
            if (AtEnd)
            {
                return _root;
            }

            if (_text[_pos] == '[')
            {
                string header = ReadTableHeader();
                ExpectLineEnd(header, "table header");
            }
            else if (AtLineEnd())
            {
                ExpectLineEnd(null, "comment");
            }
            else
            {
                string key = ReadKeyValue(_current, _currentPath);
                ExpectLineEnd(key, "value");
            }
        }
    }

    private string ReadTableHeader()
    {
        int line = _line;
        _pos++;
        bool isArray = Peek() == '[';
        if (isArray)
        {
            _pos++;
        }

        SkipSpaces();
        List<string> key = ReadKey();
        string path = JoinKey("", key, key.Count);
        if (Peek() != ']' || (isArray && Peek(1) != ']'))
        {
            throw Error(line, path, isArray ? "expected ']]' to close the array-of-tables header" : "expected ']' to close the table header");
        }

        _pos += isArray ? 2 : 1;
        _current = isArray ? AppendTableArrayElement(key, path, line) : DefineTable(key, path, line);
        _currentPath = path;
        return path;
    }

    private TomlTable DefineTable(List<string> key, string path, int line)
    {
        TomlTable parent = OpenHeaderParents(key, line);
        if (!parent.TryGetValue(key[^1], out TomlValue? existing))
        {
            TomlTable table = NewTable(line, TableOrigin.Header);
            parent.Add(key[^1], table);
            return table;
        }

        if (existing is not TomlTable implicitTable || _origins[implicitTable] != TableOrigin.Implicit)
        {
            throw Error(line, path, existing is TomlTable table && _origins[table] != TableOrigin.Inline
                ? $"table is already defined on line {existing.Line}"
                : $"already defined as {Describe(existing)} on line {existing.Line}, so it cannot also be a table");
        }

        _origins[implicitTable] = TableOrigin.Header;
        implicitTable.Line = line;
        return implicitTable;
    }

    private TomlTable AppendTableArrayElement(List<string> key, string path, int line)
    {
        TomlTable parent = OpenHeaderParents(key, line);
        TomlArray array;
        if (!parent.TryGetValue(key[^1], out TomlValue? existing))
        {
            array = new TomlArray(line);
            _tableArrays.Add(array);
            parent.Add(key[^1], array);
        }
        else if (existing is TomlArray tableArray && _tableArrays.Contains(tableArray))
        {
            array = tableArray;
        }
        else
        {
            throw Error(line, path, $"already defined as {Describe(existing)} on line {existing.Line}, so it cannot also be an array of tables");
        }

        TomlTable element = NewTable(line, TableOrigin.Header);
        array.Add(element);
        return element;
    }

    /// <summary>Walks the parents of a header's table, creating missing ones; [[arrays]] resolve to their last element.</summary>
    private TomlTable OpenHeaderParents(List<string> key, int line)
    {
        TomlTable table = _root;
        for (int i = 0; i < key.Count - 1; i++)
        {
            if (!table.TryGetValue(key[i], out TomlValue? existing))
            {
                TomlTable created = NewTable(line, TableOrigin.Implicit);
                table.Add(key[i], created);
                table = created;
                continue;
            }

            table = existing switch
            {
                TomlTable t when _origins[t] != TableOrigin.Inline => t,
                TomlArray a when _tableArrays.Contains(a) => (TomlTable)a[^1],
                TomlTable => throw Error(line, JoinKey("", key, i + 1), $"already defined as an inline table on line {existing.Line}, which cannot be extended"),
                _ => throw Error(line, JoinKey("", key, i + 1), $"already defined as {Describe(existing)} on line {existing.Line}, so it cannot also be a table"),
            };
        }

        return table;
    }

    /// <summary>Reads <c>key = value</c> into <paramref name="table"/> and returns the full key for messages.</summary>
    private string ReadKeyValue(TomlTable table, string tablePath)
    {
        int line = _line;
        List<string> key = ReadKey();
        string fullKey = JoinKey(tablePath, key, key.Count);
        if (Peek() != '=')
        {
            throw Error(line, fullKey, AtLineEnd() ? "missing '=' after key" : $"expected '=' after key but found {Describe(Peek())}");
        }

        _pos++;
        SkipSpaces();
        string? outerKey = _valueKey;
        _valueKey = fullKey;
        TomlValue value = ReadValue();
        _valueKey = outerKey;
        Assign(table, tablePath, key, value, line);
        return fullKey;
    }

    private void Assign(TomlTable table, string tablePath, List<string> key, TomlValue value, int line)
    {
        for (int i = 0; i < key.Count - 1; i++)
        {
            if (!table.TryGetValue(key[i], out TomlValue? existing))
            {
                TomlTable created = NewTable(line, TableOrigin.Dotted);
                table.Add(key[i], created);
                table = created;
            }
            else if (existing is TomlTable dotted && _origins[dotted] == TableOrigin.Dotted)
            {
                table = dotted;
            }
            else
            {
                throw Error(line, JoinKey(tablePath, key, i + 1), existing switch
                {
                    TomlTable t when _origins[t] == TableOrigin.Inline => $"already defined as an inline table on line {existing.Line}, which cannot be extended",
                    TomlTable => $"table is already defined on line {existing.Line}; dotted keys cannot add to it",
                    _ => $"already defined as {Describe(existing)} on line {existing.Line}, so it cannot also be a table",
                });
            }
        }

        if (table.TryGetValue(key[^1], out TomlValue? previous))
        {
            throw Error(line, JoinKey(tablePath, key, key.Count), $"duplicate key (first defined on line {previous.Line})");
        }

        table.Add(key[^1], value);
    }

    private List<string> ReadKey()
    {
        var parts = new List<string>();
        while (true)
        {
            parts.Add(ReadKeyPart());
            SkipSpaces();
            if (Peek() != '.')
            {
                return parts;
            }

            _pos++;
            SkipSpaces();
        }
    }

    private string ReadKeyPart()
    {
        char c = Peek();
        if (c is '"' or '\'')
        {
            if (_text.AsSpan(_pos).StartsWith(c == '"' ? "\"\"\"" : "'''"))
            {
                throw Error("multi-line strings cannot be used as keys");
            }

            return c == '"' ? ReadBasicString() : ReadLiteralString();
        }

        int start = _pos;
        while (!AtEnd && BareKeyChars.Contains(_text[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error(AtLineEnd() || c is '=' or '.' or ']' or ' ' or '\t' ? "empty bare key" : $"invalid character {Describe(c)} in key");
        }

        return _text[start.._pos];
    }

    private TomlValue ReadValue()
    {
        int line = _line;
        if (AtLineEnd())
        {
            throw Error("missing value");
        }

        return _text[_pos] switch
        {
            '"' when _text.AsSpan(_pos).StartsWith("\"\"\"") => new TomlString(ReadMultiLineString('"'), line),
            '\'' when _text.AsSpan(_pos).StartsWith("'''") => new TomlString(ReadMultiLineString('\''), line),
            '"' => new TomlString(ReadBasicString(), line),
            '\'' => new TomlString(ReadLiteralString(), line),
            '[' => ReadArray(),
            '{' => ReadInlineTable(),
            _ => ReadScalar(),
        };
    }

    private TomlArray ReadArray()
    {
        int line = _line;
        _pos++;
        var array = new TomlArray(line);
        while (true)
        {
            SkipSpacesNewlinesAndComments();
            if (AtEnd || StartsKeyValue())
            {
                throw Error(line, _valueKey, "unterminated array (missing ']')");
            }

            if (_text[_pos] == ']')
            {
                _pos++;
                return array;
            }

            array.Add(ReadValue());
            int valueEndLine = _line;
            SkipSpacesNewlinesAndComments();
            char c = Peek();
            if (c == ']')
            {
                _pos++;
                return array;
            }

            if (c != ',')
            {
                // A missing ',' and a missing ']' look the same once the next line starts; the opening line is more useful.
                throw AtEnd || _line != valueEndLine
                    ? Error(line, _valueKey, "unterminated array (missing ']' or ',')")
                    : Error($"expected ',' or ']' in array but found {Describe(c)}");
            }

            _pos++;
        }
    }

    private TomlTable ReadInlineTable()
    {
        int line = _line;
        _pos++;
        TomlTable table = NewTable(line, TableOrigin.Inline);
        string path = _valueKey ?? "";
        SkipSpaces();
        if (Peek() == '}')
        {
            _pos++;
            return table;
        }

        while (true)
        {
            if (AtLineEnd())
            {
                throw Error(line, _valueKey, "unterminated inline table (an inline table must be on one line)");
            }

            ReadKeyValue(table, path);
            SkipSpaces();
            if (Peek() == '}')
            {
                _pos++;
                return table;
            }

            if (AtLineEnd())
            {
                throw Error(line, _valueKey, "unterminated inline table (an inline table must be on one line)");
            }

            if (Peek() != ',')
            {
                throw Error($"expected ',' or '}}' in inline table but found {Describe(Peek())}");
            }

            _pos++;
            SkipSpaces();
            if (Peek() == '}')
            {
                throw Error("trailing comma is not allowed in an inline table");
            }
        }
    }

    private TomlValue ReadScalar()
    {
        int line = _line;
        int start = _pos;
        while (!AtEnd && !IsScalarTerminator(_text[_pos]))
        {
            _pos++;
        }

        string token = _text[start.._pos];
        switch (token)
        {
            case "":
                throw Error("missing value");
            case "true":
                return new TomlBoolean(true, line);
            case "false":
                return new TomlBoolean(false, line);
            case "inf" or "+inf":
                return new TomlFloat(double.PositiveInfinity, line);
            case "-inf":
                return new TomlFloat(double.NegativeInfinity, line);
            case "nan" or "+nan" or "-nan":
                return new TomlFloat(double.NaN, line);
        }

        if (LooksLikeDateOrTime(token))
        {
            throw Error("dates and times are not supported");
        }

        if (char.IsAsciiDigit(token[0]) || token[0] is '+' or '-' or '.' or '_')
        {
            return ReadNumber(token, line);
        }

        throw Error($"invalid value '{token}' (strings must be quoted)");
    }

    private TomlValue ReadNumber(string token, int line)
    {
        ReadOnlySpan<char> body = token;
        bool signed = body[0] is '+' or '-';
        if (signed)
        {
            body = body[1..];
        }

        if (body.Length >= 2 && body[0] == '0' && body[1] is 'x' or 'o' or 'b')
        {
            int radix = body[1] switch { 'x' => 16, 'o' => 8, _ => 2 };
            if (signed)
            {
                throw Error($"invalid number '{token}': hexadecimal, octal and binary integers cannot have a sign");
            }

            return new TomlInteger(ReadPrefixedInteger(token, body[2..], radix), line);
        }

        int exponentAt = body.IndexOfAny('e', 'E');
        ReadOnlySpan<char> mantissa = exponentAt >= 0 ? body[..exponentAt] : body;
        int dotAt = mantissa.IndexOf('.');
        ReadOnlySpan<char> integerPart = dotAt >= 0 ? mantissa[..dotAt] : mantissa;
        if (!IsDigitGroup(integerPart, 10)
            || (dotAt >= 0 && !IsDigitGroup(mantissa[(dotAt + 1)..], 10))
            || (exponentAt >= 0 && !IsDigitGroup(TrimSign(body[(exponentAt + 1)..]), 10)))
        {
            throw Error($"invalid number '{token}'");
        }

        if (integerPart.Length > 1 && integerPart[0] == '0')
        {
            throw Error($"invalid number '{token}': leading zeros are not allowed");
        }

        string digits = token.Replace("_", "", StringComparison.Ordinal);
        if (exponentAt < 0 && dotAt < 0)
        {
            return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer)
                ? new TomlInteger(integer, line)
                : throw Error($"integer '{token}' is out of range");
        }

        double number = double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsInfinity(number) ? throw Error($"float '{token}' is out of range") : new TomlFloat(number, line);
    }

    private long ReadPrefixedInteger(string token, ReadOnlySpan<char> digits, int radix)
    {
        if (!IsDigitGroup(digits, radix))
        {
            throw Error($"invalid number '{token}'");
        }

        long value = 0;
        foreach (char c in digits)
        {
            if (c == '_')
            {
                continue;
            }

            int digit = HexValue(c);
            if (value > (long.MaxValue - digit) / radix)
            {
                throw Error($"integer '{token}' is out of range");
            }

            value = (value * radix) + digit;
        }

        return value;
    }

    private string ReadBasicString()
    {
        _pos++;
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd || _text[_pos] is '\n' or '\r')
            {
                throw Error("unterminated string");
            }

            char c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                return builder.ToString();
            }

            if (c == '\\')
            {
                ReadEscape(builder);
            }
            else
            {
                AppendStringChar(builder, c);
            }
        }
    }

    private string ReadLiteralString()
    {
        _pos++;
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd || _text[_pos] is '\n' or '\r')
            {
                throw Error("unterminated string");
            }

            char c = _text[_pos];
            if (c == '\'')
            {
                _pos++;
                return builder.ToString();
            }

            AppendStringChar(builder, c);
        }
    }

    /// <summary>Reads <c>"""..."""</c> (with escapes) or <c>'''...'''</c> (without); newlines become '\n'.</summary>
    private string ReadMultiLineString(char quote)
    {
        int line = _line;
        _pos += 3;
        TryConsumeNewline(); // A newline right after the opening delimiter is not part of the string.
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error(line, _valueKey, "unterminated multi-line string");
            }

            char c = _text[_pos];
            if (c == quote)
            {
                // Up to two quotes may sit right before the closing delimiter and belong to the content.
                int run = 0;
                while (Peek(run) == quote)
                {
                    run++;
                }

                if (run > 5)
                {
                    throw Error("too many quotes at the end of a multi-line string");
                }

                builder.Append(quote, run >= 3 ? run - 3 : run);
                _pos += run;
                if (run >= 3)
                {
                    return builder.ToString();
                }
            }
            else if (c is '\n' or '\r')
            {
                TryConsumeNewline();
                builder.Append('\n');
            }
            else if (c == '\\' && quote == '"')
            {
                if (IsLineEndingBackslash())
                {
                    _pos++;
                    SkipSpacesAndNewlines();
                }
                else
                {
                    ReadEscape(builder);
                }
            }
            else
            {
                AppendStringChar(builder, c);
            }
        }
    }

    private void AppendStringChar(StringBuilder builder, char c)
    {
        if (IsControl(c))
        {
            throw Error($"control character {Describe(c)} in string (use an escape sequence)");
        }

        builder.Append(c);
        _pos++;
    }

    private void ReadEscape(StringBuilder builder)
    {
        _pos++;
        if (AtEnd)
        {
            throw Error("unterminated string");
        }

        char c = _text[_pos++];
        switch (c)
        {
            case '"': builder.Append('"'); break;
            case '\\': builder.Append('\\'); break;
            case 'b': builder.Append('\b'); break;
            case 't': builder.Append('\t'); break;
            case 'n': builder.Append('\n'); break;
            case 'f': builder.Append('\f'); break;
            case 'r': builder.Append('\r'); break;
            case 'u': AppendCodePoint(builder, ReadHexEscape(c, 4)); break;
            case 'U': AppendCodePoint(builder, ReadHexEscape(c, 8)); break;
            default:
                throw Error(IsControl(c) || c == ' ' ? $"invalid escape sequence (backslash followed by {Describe(c)})" : $"invalid escape sequence '\\{c}'");
        }
    }

    private long ReadHexEscape(char kind, int length)
    {
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            int digit = _pos < _text.Length ? HexValue(_text[_pos]) : -1;
            if (digit < 0 || digit >= 16)
            {
                throw Error($"invalid escape sequence: '\\{kind}' needs {length} hexadecimal digits");
            }

            value = (value * 16) + digit;
            _pos++;
        }

        return value;
    }

    private void AppendCodePoint(StringBuilder builder, long codePoint)
    {
        if (codePoint > 0x10FFFF || !Rune.IsValid((int)codePoint))
        {
            throw Error($"invalid escape sequence: U+{codePoint:X4} is not a Unicode scalar value");
        }

        Span<char> utf16 = stackalloc char[2];
        builder.Append(utf16[..new Rune((int)codePoint).EncodeToUtf16(utf16)]);
    }

    private bool IsLineEndingBackslash()
    {
        int i = _pos + 1;
        while (i < _text.Length && _text[i] is ' ' or '\t')
        {
            i++;
        }

        return i < _text.Length && _text[i] is '\n' or '\r';
    }

    /// <summary>True when an unclosed array has run into the next <c>key = value</c> line.</summary>
    private bool StartsKeyValue()
    {
        int i = _pos;
        while (i < _text.Length && (BareKeyChars.Contains(_text[i]) || _text[i] is '.' or ' ' or '\t'))
        {
            i++;
        }

        return i > _pos && i < _text.Length && _text[i] == '=';
    }

    private void ExpectLineEnd(string? key, string after)
    {
        SkipSpaces();
        if (Peek() == '#')
        {
            SkipComment();
        }

        if (!AtEnd && !TryConsumeNewline())
        {
            throw Error(_line, key, $"unexpected text after {after}: '{RestOfLine()}'");
        }
    }

    private void SkipComment()
    {
        _pos++;
        while (!AtEnd && _text[_pos] is not ('\n' or '\r'))
        {
            if (IsControl(_text[_pos]))
            {
                throw Error(_line, null, $"control character {Describe(_text[_pos])} in comment");
            }

            _pos++;
        }
    }

    private bool TryConsumeNewline()
    {
        if (Peek() == '\n')
        {
            _pos++;
            _line++;
            return true;
        }

        if (Peek() == '\r')
        {
            if (Peek(1) != '\n')
            {
                throw Error(_line, null, "carriage return must be followed by a newline");
            }

            _pos += 2;
            _line++;
            return true;
        }

        return false;
    }

    private void SkipSpaces()
    {
        while (Peek() is ' ' or '\t')
        {
            _pos++;
        }
    }

    private void SkipSpacesAndNewlines()
    {
        do
        {
            SkipSpaces();
        }
        while (TryConsumeNewline());
    }

    private void SkipSpacesNewlinesAndComments()
    {
        while (true)
        {
            SkipSpaces();
            if (Peek() == '#')
            {
                SkipComment();
            }
            else if (!TryConsumeNewline())
            {
                return;
            }
        }
    }

    private bool AtLineEnd() => AtEnd || _text[_pos] is '\n' or '\r' or '#';

    private char Peek(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private string RestOfLine()
    {
        int end = _text.AsSpan(_pos).IndexOfAny('\r', '\n');
        string rest = end < 0 ? _text[_pos..] : _text.Substring(_pos, end);
        return rest.Length > 20 ? rest[..20] + "..." : rest;
    }

    private TomlTable NewTable(int line, TableOrigin origin)
    {
        var table = new TomlTable(line);
        _origins.Add(table, origin);
        return table;
    }

    private TomlException Error(string problem) => new(_fileName, _line, _valueKey, problem);

    // Returned rather than thrown so call sites read `throw Error(...)` and flow analysis sees the throw.
    private TomlException Error(int line, string? key, string problem) => new(_fileName, line, key, problem);

    private static string JoinKey(string prefix, List<string> key, int count)
    {
        var builder = new StringBuilder(prefix);
        for (int i = 0; i < count; i++)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            string part = key[i];
            if (part.Length > 0 && part.AsSpan().IndexOfAnyExcept(BareKeyChars) < 0)
            {
                builder.Append(part);
            }
            else
            {
                builder.Append('"').Append(part.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            }
        }

        return builder.ToString();
    }

    private static bool IsScalarTerminator(char c) =>
        c is ' ' or '\t' or '\n' or '\r' or ',' or ']' or '}' or '#' or '[' or '{' or '=' or '"' or '\'';

    private static bool IsControl(char c) => (c < 0x20 && c != '\t') || c == '\x7F';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Digits of the radix with single underscores only between digits.</summary>
    private static bool IsDigitGroup(ReadOnlySpan<char> text, int radix)
    {
        if (text.IsEmpty || text[0] == '_' || text[^1] == '_')
        {
            return false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '_' ? text[i - 1] == '_' : (uint)HexValue(text[i]) >= (uint)radix)
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<char> TrimSign(ReadOnlySpan<char> text) =>
        !text.IsEmpty && text[0] is '+' or '-' ? text[1..] : text;

    private static bool LooksLikeDateOrTime(string token)
    {
        bool date = token.Length >= 10 && AllDigits(token, 0, 4) && token[4] == '-' && AllDigits(token, 5, 2) && token[7] == '-' && AllDigits(token, 8, 2);
        bool time = token.Length >= 5 && AllDigits(token, 0, 2) && token[2] == ':' && AllDigits(token, 3, 2);
        return date || time;

        static bool AllDigits(string s, int start, int count) => s.AsSpan(start, count).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private static string Describe(char c) =>
        c is >= ' ' and not '\x7F' ? $"'{c}'" : $"U+{(int)c:X4}";

    private string Describe(TomlValue value) => value switch
    {
        TomlTable t when _origins[t] == TableOrigin.Inline => "an inline table",
        TomlTable => "a table",
        TomlArray a when _tableArrays.Contains(a) => "an array of tables",
        TomlArray => "an array",
        TomlInteger => "an integer",
        _ => "a " + value.TypeName,
    };
}
