using Arca.Configuration.Toml;

namespace Arca.Configuration.Tests.Toml;

public sealed class TomlParserTests
{
    private const string FileName = "test.toml";

    [Theory]
    [InlineData("a = \"hello\"", "hello")]
    [InlineData("a = \"\"", "")]
    [InlineData("a = \"quote \\\" backslash \\\\\"", "quote \" backslash \\")]
    [InlineData("a = \"tab\\tnewline\\nreturn\\r\"", "tab\tnewline\nreturn\r")]
    [InlineData("a = \"bell\\bfeed\\f\"", "bell\bfeed\f")]
    [InlineData("a = \"caf\\u00E9\"", "café")]
    [InlineData("a = \"smile \\U0001F600\"", "smile \U0001F600")]
    [InlineData("a = \"日本語\"", "日本語")]
    [InlineData("a = \"has # no comment\"", "has # no comment")]
    [InlineData("a = \"x\" # comment", "x")]
    [InlineData("a = \"raw\ttab\"", "raw\ttab")]
    [InlineData("a = 'C:\\path\\no\\escape'", "C:\\path\\no\\escape")]
    [InlineData("a = 'say \"hi\"'", "say \"hi\"")]
    [InlineData("a = ''", "")]
    [InlineData("a = \"\"\"\nline1\nline2\"\"\"", "line1\nline2")]
    [InlineData("a = \"\"\"one \\\n     two \\\n  three\"\"\"", "one two three")]
    [InlineData("a = \"\"\"say \"\"hi\"\"\"\"\"", "say \"\"hi\"\"")]
    [InlineData("a = \"\"\"crlf\r\nline\"\"\"", "crlf\nline")]
    [InlineData("a = \"\"\"esc \\t \\u0041\"\"\"", "esc \t A")]
    [InlineData("a = '''\nC:\\raw\\\n'''", "C:\\raw\\\n")]
    [InlineData("a = '''it's'''", "it's")]
    public void Parse_String_ReadsValue(string toml, string expected)
    {
        var value = Assert.IsType<TomlString>(ValueAt(toml, "a"));
        Assert.Equal(expected, value.Value);
        Assert.Equal("string", value.TypeName);
    }

    [Theory]
    [InlineData("a = 42", 42L)]
    [InlineData("a = +17", 17L)]
    [InlineData("a = -17", -17L)]
    [InlineData("a = 0", 0L)]
    [InlineData("a = -0", 0L)]
    [InlineData("a = 1_000_000", 1_000_000L)]
    [InlineData("a = 5_3_4", 534L)]
    [InlineData("a = 0xDEADbeef", 0xDEADBEEFL)]
    [InlineData("a = 0xdead_beef", 0xDEADBEEFL)]
    [InlineData("a = 0o755", 493L)]
    [InlineData("a = 0b1101", 13L)]
    [InlineData("a = 0x7FFFFFFFFFFFFFFF", long.MaxValue)]
    [InlineData("a = 9223372036854775807", long.MaxValue)]
    [InlineData("a = -9223372036854775808", long.MinValue)]
    public void Parse_Integer_ReadsValue(string toml, long expected)
    {
        var value = Assert.IsType<TomlInteger>(ValueAt(toml, "a"));
        Assert.Equal(expected, value.Value);
        Assert.Equal("integer", value.TypeName);
    }

    [Theory]
    [InlineData("a = 1.5", 1.5)]
    [InlineData("a = -0.25", -0.25)]
    [InlineData("a = +1.0", 1.0)]
    [InlineData("a = 0.0", 0.0)]
    [InlineData("a = 1e6", 1e6)]
    [InlineData("a = 6.02e23", 6.02e23)]
    [InlineData("a = 1E-2", 0.01)]
    [InlineData("a = 3.5e+2", 350.0)]
    [InlineData("a = 1e06", 1e6)]
    [InlineData("a = 1_000.5", 1000.5)]
    [InlineData("a = 1.000_001", 1.000001)]
    [InlineData("a = inf", double.PositiveInfinity)]
    [InlineData("a = +inf", double.PositiveInfinity)]
    [InlineData("a = -inf", double.NegativeInfinity)]
    [InlineData("a = nan", double.NaN)]
    [InlineData("a = -nan", double.NaN)]
    public void Parse_Float_ReadsValue(string toml, double expected)
    {
        var value = Assert.IsType<TomlFloat>(ValueAt(toml, "a"));
        Assert.Equal(expected, value.Value);
        Assert.Equal("float", value.TypeName);
    }

    [Theory]
    [InlineData("a = true", true)]
    [InlineData("a = false", false)]
    [InlineData("a = true # yes", true)]
    public void Parse_Boolean_ReadsValue(string toml, bool expected)
    {
        var value = Assert.IsType<TomlBoolean>(ValueAt(toml, "a"));
        Assert.Equal(expected, value.Value);
        Assert.Equal("boolean", value.TypeName);
    }

    // Each row: document, dotted path, expected type, expected value rendered by TomlValueFormatter.
    [Theory]
    [InlineData("[server]\nport = 1", "server.port", "integer", "1")]
    [InlineData("[a.b]\nc = 1", "a.b.c", "integer", "1")]
    [InlineData("[a.b]\nc = 1", "a", "table", "{b = {c = 1}}")]
    [InlineData("a.b.c = 1", "a.b", "table", "{c = 1}")]
    [InlineData("a.b = 1\na.c = 2", "a", "table", "{b = 1, c = 2}")]
    [InlineData("[t]\nx.y = \"v\"", "t.x.y", "string", "\"v\"")]
    [InlineData("a . b = 1", "a.b", "integer", "1")]
    [InlineData("[ a . b ]\nc = 1", "a.b.c", "integer", "1")]
    [InlineData("\"quoted key\" = 1", "quoted key", "integer", "1")]
    [InlineData("'single' = 2", "single", "integer", "2")]
    [InlineData("site.\"google.com\" = true", "site", "table", "{google.com = true}")]
    [InlineData("[\"my table\"]\nx = 1", "my table.x", "integer", "1")]
    [InlineData("a-b_1 = 1", "a-b_1", "integer", "1")]
    [InlineData("1234 = \"digits\"", "1234", "string", "\"digits\"")]
    [InlineData("true = 1", "true", "integer", "1")]
    [InlineData("   key   =   1   ", "key", "integer", "1")]
    [InlineData("a = [1, 2, 3]", "a", "array", "[1, 2, 3]")]
    [InlineData("a = []", "a", "array", "[]")]
    [InlineData("a = [ ]", "a", "array", "[]")]
    [InlineData("a = [1, \"x\", true, 1.5]", "a", "array", "[1, \"x\", true, 1.5]")]
    [InlineData("a = [\n  1, # one\n  2,\n]", "a", "array", "[1, 2]")]
    [InlineData("a = [\n  # leading comment\n  \"x\"\n  ,\n  \"y\" # last\n]", "a", "array", "[\"x\", \"y\"]")]
    [InlineData("a = [[1, 2], [\"x\"], []]", "a", "array", "[[1, 2], [\"x\"], []]")]
    [InlineData("a = [{ x = 1 }, { x = 2 }]", "a", "array", "[{x = 1}, {x = 2}]")]
    [InlineData("a = { x = 1, y = \"s\" }", "a", "table", "{x = 1, y = \"s\"}")]
    [InlineData("a = {}", "a", "table", "{}")]
    [InlineData("a = { b.c = 1, b.d = 2 }", "a.b", "table", "{c = 1, d = 2}")]
    [InlineData("a = { b = { c = 1 } }", "a.b.c", "integer", "1")]
    [InlineData("a = { list = [\n1,\n2] }", "a.list", "array", "[1, 2]")]
    [InlineData("[[p]]\nx = 1\n[[p]]\nx = 2", "p", "array", "[{x = 1}, {x = 2}]")]
    [InlineData("[[p]]\n[[p]]", "p", "array", "[{}, {}]")]
    [InlineData("[[a.b]]\nx = 1", "a.b", "array", "[{x = 1}]")]
    [InlineData("[[p]]\nx = 1\n[p.sub]\ny = 2", "p", "array", "[{x = 1, sub = {y = 2}}]")]
    [InlineData("[[p]]\n[[p.q]]\nx = 1\n[[p.q]]\nx = 2", "p", "array", "[{q = [{x = 1}, {x = 2}]}]")]
    [InlineData("[a.b]\nx = 1\n[a]\ny = 2", "a", "table", "{b = {x = 1}, y = 2}")]
    [InlineData("[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true", "fruit.apple", "table", "{color = \"red\", texture = {smooth = true}}")]
    [InlineData("a = 1\r\n[b]\r\nc = 2\r\n", "b.c", "integer", "2")]
    [InlineData("# comment\n\n   # indented comment\n\t\na = 1 # trailing\n", "a", "integer", "1")]
    [InlineData("[b] # header comment\nc = 1", "b.c", "integer", "1")]
    [InlineData("\uFEFFa = 1", "a", "integer", "1")]
    [InlineData("a=1\nb=\"x\"", "b", "string", "\"x\"")]
    [InlineData("z = 1\na = 2\nm = 3", "", "table", "{z = 1, a = 2, m = 3}")]
    public void Parse_Structure_ProducesExpectedValue(string toml, string path, string type, string expected)
    {
        TomlTable root = TomlParser.Parse(toml, FileName);
        TomlValue value = path.Length == 0 ? root : root.TryGetPath(path, out TomlValue? found) ? found : throw new KeyNotFoundException(path);
        Assert.Equal(type, value.TypeName);
        Assert.Equal(expected, TomlValueFormatter.Format(value));
    }

    // Each row: document, line the error must be reported on, substring of the message.
    [Theory]
    [InlineData("a = 1\na = 2", 2, "duplicate key (first defined on line 1)")]
    [InlineData("a = { x = 1, x = 2 }", 1, "duplicate key")]
    [InlineData("\"a\" = 1\na = 2", 2, "duplicate key")]
    [InlineData("a.b = 1\na = 2", 2, "duplicate key")]
    [InlineData("[a]\nx = 1\n[a]", 3, "table is already defined on line 1")]
    [InlineData("[a.b]\n[a]\n[a]", 3, "table is already defined")]
    [InlineData("[a]\nb.c = 1\n[a.b]", 3, "table is already defined")]
    [InlineData("a = 1\n[a]", 2, "already defined as an integer on line 1, so it cannot also be a table")]
    [InlineData("a = 1\na.b = 2", 2, "cannot also be a table")]
    [InlineData("a = \"s\"\n[a.b]", 2, "already defined as a string")]
    [InlineData("[a]\nb = 1\n[a.b]", 3, "cannot also be a table")]
    [InlineData("[a]\nb = [1]\n[a.b.c]", 3, "already defined as an array")]
    [InlineData("a = { x = 1 }\na.y = 2", 2, "inline table")]
    [InlineData("a = { x = 1 }\n[a.b]", 2, "inline table")]
    [InlineData("a = { x = 1 }\n[a]", 2, "already defined as an inline table")]
    [InlineData("a = { b = { c = 1 }, b.d = 2 }", 1, "inline table")]
    [InlineData("a = [1]\n[[a]]", 2, "already defined as an array on line 1, so it cannot also be an array of tables")]
    [InlineData("[a]\n[[a]]", 2, "already defined as a table")]
    [InlineData("[[a]]\n[a]", 2, "already defined as an array of tables")]
    [InlineData("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, "dotted keys cannot add to it")]
    [InlineData("a", 1, "missing '=' after key")]
    [InlineData("a # comment", 1, "missing '=' after key")]
    [InlineData("a b = 1", 1, "expected '=' after key but found 'b'")]
    [InlineData("a$ = 1", 1, "expected '=' after key but found '$'")]
    [InlineData("a =", 1, "missing value")]
    [InlineData("a = # nothing", 1, "missing value")]
    [InlineData("\n\na =\nb = 1", 3, "missing value")]
    [InlineData("a = [1,,2]", 1, "missing value")]
    [InlineData("a = 1 2", 1, "unexpected text after value: '2'")]
    [InlineData("a = \"x\" y", 1, "unexpected text after value")]
    [InlineData("a = [1] ]", 1, "unexpected text after value")]
    [InlineData("[a] b = 1", 1, "unexpected text after table header")]
    [InlineData("a = \"abc", 1, "unterminated string")]
    [InlineData("x = 1\n\na = \"abc\nb = 1", 3, "unterminated string")]
    [InlineData("a = 'abc", 1, "unterminated string")]
    [InlineData("\"abc = 1", 1, "unterminated string")]
    [InlineData("x = 1\na = \"\"\"abc\n\n", 2, "unterminated multi-line string")]
    [InlineData("a = '''abc", 1, "unterminated multi-line string")]
    [InlineData("a = \"\"\"x\"\"\"\"\"\"", 1, "too many quotes")]
    [InlineData("a = [1, 2", 1, "unterminated array")]
    [InlineData("a = [1,\n2,\nb = 3", 1, "unterminated array")]
    [InlineData("a = [1,\n2\nb = 3", 1, "unterminated array")]
    [InlineData("a = [1 2]", 1, "expected ',' or ']' in array but found '2'")]
    [InlineData("a = { x = 1", 1, "unterminated inline table")]
    [InlineData("a = { x = 1,\n y = 2 }", 1, "unterminated inline table")]
    [InlineData("a = { x = 1 y = 2 }", 1, "expected ',' or '}'")]
    [InlineData("a = { x = 1, }", 1, "trailing comma")]
    [InlineData("a = 01", 1, "leading zeros are not allowed")]
    [InlineData("a = -007", 1, "leading zeros are not allowed")]
    [InlineData("a = 03.14", 1, "leading zeros are not allowed")]
    [InlineData("a = 1__0", 1, "invalid number '1__0'")]
    [InlineData("a = 1_", 1, "invalid number")]
    [InlineData("a = _1", 1, "invalid number")]
    [InlineData("a = 1.", 1, "invalid number")]
    [InlineData("a = .5", 1, "invalid number")]
    [InlineData("a = 1e", 1, "invalid number")]
    [InlineData("a = 1._5", 1, "invalid number")]
    [InlineData("a = 1.2.3", 1, "invalid number")]
    [InlineData("a = 12abc", 1, "invalid number")]
    [InlineData("a = 0xG", 1, "invalid number")]
    [InlineData("a = 0b102", 1, "invalid number")]
    [InlineData("a = 0x", 1, "invalid number")]
    [InlineData("a = 0X1F", 1, "invalid number")]
    [InlineData("a = +0x1", 1, "cannot have a sign")]
    [InlineData("a = 9223372036854775808", 1, "out of range")]
    [InlineData("a = -9223372036854775809", 1, "out of range")]
    [InlineData("a = 0x8000000000000000", 1, "out of range")]
    [InlineData("a = 1e400", 1, "out of range")]
    [InlineData("a = \"\\q\"", 1, "invalid escape sequence '\\q'")]
    [InlineData("a = \"\\x41\"", 1, "invalid escape sequence")]
    [InlineData("a = \"\\u12\"", 1, "invalid escape sequence")]
    [InlineData("a = \"\\uD800\"", 1, "not a Unicode scalar value")]
    [InlineData("a = \"\\U00110000\"", 1, "not a Unicode scalar value")]
    [InlineData("a = \"\"\"\\ x\"\"\"", 1, "invalid escape sequence")]
    [InlineData("a = \"x\u0001y\"", 1, "control character U+0001 in string")]
    [InlineData("a = 'x\u007Fy'", 1, "control character U+007F in string")]
    [InlineData("a = \"\"\"x\n\u0000\"\"\"", 2, "control character U+0000 in string")]
    [InlineData("# bad \u0002 comment", 1, "control character U+0002 in comment")]
    [InlineData("a = 1\r\nb = 2\rc = 3", 2, "carriage return")]
    [InlineData("a = hello", 1, "invalid value 'hello' (strings must be quoted)")]
    [InlineData("a = TRUE", 1, "strings must be quoted")]
    [InlineData("a = 1979-05-27", 1, "dates and times are not supported")]
    [InlineData("a = 1979-05-27T07:32:00Z", 1, "dates and times are not supported")]
    [InlineData("a = 1979-05-27 07:32:00", 1, "dates and times are not supported")]
    [InlineData("a = 07:32:00", 1, "dates and times are not supported")]
    [InlineData("= 1", 1, "empty bare key")]
    [InlineData("a..b = 1", 1, "empty bare key")]
    [InlineData("a. = 1", 1, "empty bare key")]
    [InlineData("[]", 1, "empty bare key")]
    [InlineData("[a.]", 1, "empty bare key")]
    [InlineData("$ = 1", 1, "invalid character '$' in key")]
    [InlineData("\"\"\"a\"\"\" = 1", 1, "multi-line strings cannot be used as keys")]
    [InlineData("[a", 1, "expected ']' to close the table header")]
    [InlineData("[a b]", 1, "expected ']' to close the table header")]
    [InlineData("[[a]", 1, "expected ']]'")]
    [InlineData("[[a] ]", 1, "expected ']]'")]
    public void Parse_InvalidDocument_ThrowsWithLine(string toml, int line, string message)
    {
        var error = Assert.Throws<TomlException>(() => TomlParser.Parse(toml, FileName));
        Assert.Equal(FileName, error.FileName);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"{FileName}:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    // Each row: document, the key the error names (null when it is not about a key).
    [Theory]
    [InlineData("[server]\nport = 08", "server.port")]
    [InlineData("[server]\nport = 1\nport = 2", "server.port")]
    [InlineData("[[policies]]\nalias = nope", "policies.alias")]
    [InlineData("a.b = 1\na.b = 2", "a.b")]
    [InlineData("[t]\n\"x.y\" = \"\\q\"", "t.\"x.y\"")]
    [InlineData("a = { b = { c = \"\\q\" } }", "a.b.c")]
    [InlineData("a = 1\n[a.b]", "a")]
    [InlineData("[a]\n[a]", "a")]
    [InlineData("a = [1,", "a")]
    [InlineData("= 1", null)]
    [InlineData("a = 1\n# \u0001", null)]
    public void Parse_InvalidDocument_NamesKey(string toml, string? key)
    {
        var error = Assert.Throws<TomlException>(() => TomlParser.Parse(toml, FileName));
        Assert.Equal(key, error.Key);
    }

    [Fact]
    public void TomlException_Message_IsFileLineKeyProblem()
    {
        var withKey = Assert.Throws<TomlException>(() => TomlParser.Parse("[server]\nport = 1\nport = 2\n", "registry.toml"));
        Assert.Equal("registry.toml:3: server.port: duplicate key (first defined on line 2)", withKey.Message);

        var withoutKey = Assert.Throws<TomlException>(() => TomlParser.Parse("x = 1\n= 2\n", "registry.toml"));
        Assert.Equal("registry.toml:2: empty bare key", withoutKey.Message);
    }

    [Fact]
    public void Parse_RealisticConfig_ReadsEveryValueWithItsLine()
    {
        const string Config = """
            # Arca config
            mode = "origin"
            data_dir = "/var/lib/arca"
            [server]
            control_listen = "0.0.0.0:8700"   # control plane
            max_body_bytes = 1_048_576
            [auth]
            anonymous_read = false
            [[policies]]
            alias = "prod"
            required_approvals = 2
            from = ["staging"]
            [[policies]]
            alias = "staging"
            """;

        TomlTable root = TomlParser.Parse(Config, "arca.toml");

        Assert.Equal(["mode", "data_dir", "server", "auth", "policies"], root.Keys);
        Assert.Equal("origin", Assert.IsType<TomlString>(root["mode"]).Value);
        Assert.Equal("/var/lib/arca", Assert.IsType<TomlString>(root["data_dir"]).Value);

        Assert.True(root.TryGetPath("server.control_listen", out TomlValue? listen));
        Assert.Equal("0.0.0.0:8700", Assert.IsType<TomlString>(listen).Value);
        Assert.Equal(5, listen.Line);
        Assert.True(root.TryGetPath("server.max_body_bytes", out TomlValue? maxBody));
        Assert.Equal(1_048_576L, Assert.IsType<TomlInteger>(maxBody).Value);
        Assert.Equal(4, root["server"].Line);

        Assert.True(root.TryGetPath("auth.anonymous_read", out TomlValue? anonymous));
        Assert.False(Assert.IsType<TomlBoolean>(anonymous).Value);
        Assert.Equal(8, anonymous.Line);

        var policies = Assert.IsType<TomlArray>(root["policies"]);
        Assert.Equal(2, policies.Count);
        var prod = Assert.IsType<TomlTable>(policies[0]);
        Assert.Equal(9, prod.Line);
        Assert.Equal(["alias", "required_approvals", "from"], prod.Keys);
        Assert.Equal("prod", Assert.IsType<TomlString>(prod["alias"]).Value);
        Assert.Equal(2L, Assert.IsType<TomlInteger>(prod["required_approvals"]).Value);
        var from = Assert.IsType<TomlArray>(prod["from"]);
        Assert.Equal("staging", Assert.IsType<TomlString>(Assert.Single(from)).Value);
        var staging = Assert.IsType<TomlTable>(policies[1]);
        Assert.Equal(13, staging.Line);
        Assert.Equal("staging", Assert.IsType<TomlString>(Assert.Single(staging).Value).Value);
    }

    [Fact]
    public void Parse_EmptyOrCommentOnlyDocument_ReturnsEmptyTable()
    {
        Assert.Empty(TomlParser.Parse("", FileName));
        Assert.Empty(TomlParser.Parse("# only a comment\n\n", FileName));
    }

    [Fact]
    public void Parse_MultiLineValues_RecordLineWhereEachValueStarts()
    {
        TomlTable root = TomlParser.Parse("a = \"\"\"\none\ntwo\"\"\"\nb = [\n  1,\n  2,\n]\nc = 3\n", FileName);

        Assert.Equal(1, root["a"].Line);
        var b = Assert.IsType<TomlArray>(root["b"]);
        Assert.Equal(4, b.Line);
        Assert.Equal([5, 6], b.Select(item => item.Line));
        Assert.Equal(8, root["c"].Line);
    }

    [Fact]
    public void Parse_TableDefinedAfterItsChild_TakesLineOfItsOwnHeader()
    {
        TomlTable root = TomlParser.Parse("[a.b]\nx = 1\n[a]\ny = 2\n", FileName);

        Assert.Equal(3, root["a"].Line);
        Assert.Equal(1, ((TomlTable)root["a"])["b"].Line);
    }

    [Fact]
    public void Parse_QuotedKeyWithDot_IsOneKey()
    {
        TomlTable root = TomlParser.Parse("\"a.b\" = 1\n'c d' = 2\n\"\" = 3\n", FileName);

        Assert.Equal(["a.b", "c d", ""], root.Keys);
        Assert.False(root.TryGetPath("a.b", out _));
        Assert.Equal(1L, Assert.IsType<TomlInteger>(root["a.b"]).Value);
    }

    [Theory]
    [InlineData("a.b.c", true)]
    [InlineData("a.b", true)]
    [InlineData("a.x", false)]
    [InlineData("a.b.c.d", false)]
    [InlineData("a.list.0", false)]
    [InlineData("missing", false)]
    public void TryGetPath_FollowsNestedTablesOnly(string path, bool found)
    {
        TomlTable root = TomlParser.Parse("a.b.c = 1\na.list = [1]\n", FileName);

        Assert.Equal(found, root.TryGetPath(path, out TomlValue? value));
        Assert.Equal(found, value is not null);
    }

    private static TomlValue ValueAt(string toml, string key)
    {
        TomlTable root = TomlParser.Parse(toml, FileName);
        Assert.Equal([key], root.Keys);
        return root[key];
    }
}
