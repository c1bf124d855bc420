using System.Globalization;

namespace Arca.Metadata;

/// <summary>
/// Parses <c>filter=metrics.f1&gt;0.8,params.lr=3e-4,created_by=ci</c> and <c>sort=-metrics.f1</c> into SQL
/// fragments over the versions table (alias <c>v</c>) and its side tables. Values cannot contain commas.
/// </summary>
internal static class VersionFilter
{
    private static readonly string[] Operators = [">=", "<=", "!=", "=", ">", "<"];

    public sealed record Term(string Field, string Key, string Op, string Literal, string Text);

    public sealed record SortSpec(string Field, string Key, bool Descending);

    /// <summary>Parses the comma-separated terms; on error, <paramref name="error"/> names the bad term.</summary>
    public static bool TryParse(string? filter, out List<Term> terms, out string error)
    {
        terms = [];
        error = "";
        if (string.IsNullOrWhiteSpace(filter))
        {
            return true;
        }
        foreach (var rawTerm in filter.Split(','))
        {
            var text = rawTerm.Trim();
            int at = -1;
            string op = "";
            foreach (var candidate in Operators)
            {
                var i = text.IndexOf(candidate, StringComparison.Ordinal);
                if (i > 0 && (at < 0 || i < at || (i == at && candidate.Length > op.Length)))
                {
                    at = i;
                    op = candidate;
                }
            }
            if (at < 0)
            {
                error = $"'{text}': expected field, operator (= != < <= > >=) and value";
                return false;
            }
            var field = text[..at].Trim();
            var literal = text[(at + op.Length)..].Trim();
            if (literal.Length == 0)
            {
                error = $"'{text}': missing value";
                return false;
            }
            if (!TryField(field, out var kind, out var key))
            {
                error = $"'{text}': unknown field '{field}' (metrics.<key>, params.<key>, version, created_at, created_by)";
                return false;
            }
            switch (kind)
            {
                case "metrics" or "version" when !double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                    error = $"'{text}': '{literal}' is not a number";
                    return false;
                case "created_at" when !Timestamps.TryParseUser(literal, out _):
                    error = $"'{text}': '{literal}' is not a timestamp (ISO 8601)";
                    return false;
                case "created_by" when op is not ("=" or "!="):
                    error = $"'{text}': created_by supports only = and !=";
                    return false;
                case "params" when op is not ("=" or "!=") && !IsNumber(literal):
                    error = $"'{text}': ordering a param needs a numeric value";
                    return false;
            }
            terms.Add(new Term(kind, key, op, literal, text));
        }
        return true;
    }

    public static bool TryParseSort(string? sort, out SortSpec spec, out string error)
    {
        error = "";
        spec = new SortSpec("version", "", true);
        if (string.IsNullOrWhiteSpace(sort))
        {
            return true;
        }
        var text = sort.Trim();
        var desc = text.StartsWith('-');
        var field = text.TrimStart('-', '+');
        if (!TryField(field, out var kind, out var key) || kind is "params" or "created_by")
        {
            error = $"'{sort}': sort by version, created_at or metrics.<key>, with '-' for descending";
            return false;
        }
        spec = new SortSpec(kind, key, desc);
        return true;
    }

    private static bool TryField(string field, out string kind, out string key)
    {
        key = "";
        kind = field;
        if (field is "version" or "created_at" or "created_by")
        {
            return true;
        }
        foreach (var prefix in (ReadOnlySpan<string>)["metrics.", "params."])
        {
            if (field.StartsWith(prefix, StringComparison.Ordinal) && Names.IsValidKey(field[prefix.Length..]))
            {
                kind = prefix[..^1];
                key = field[prefix.Length..];
                return true;
            }
        }
        return false;
    }

    public static bool IsNumber(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);

    public static double Number(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
