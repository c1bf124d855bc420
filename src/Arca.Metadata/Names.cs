using System.Buffers;

namespace Arca.Metadata;

/// <summary>Validation of the names and digests that appear in URLs and rows.</summary>
public static class Names
{
    private static readonly SearchValues<char> NameTail = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");
    private static readonly SearchValues<char> NameHead = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");
    private static readonly SearchValues<char> Hex = SearchValues.Create("0123456789abcdef");

    /// <summary>Words that follow a model name in API paths, so they cannot be the name part of a namespaced model.</summary>
    public static readonly IReadOnlyList<string> Reserved = ["versions", "aliases", "compare"];

    /// <summary><c>[a-z0-9][a-z0-9._-]{0,127}</c>, optionally preceded by one <c>namespace/</c> of the same form.</summary>
    public static bool IsValidModelName(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return IsSegment(name);
        }
        var ns = name.AsSpan(0, slash);
        var rest = name.AsSpan(slash + 1);
        return IsSegment(ns) && IsSegment(rest) && !Reserved.Contains(rest.ToString());
    }

    private static bool IsSegment(ReadOnlySpan<char> s) =>
        s.Length is >= 1 and <= 128 && NameHead.Contains(s[0]) && !s[1..].ContainsAnyExcept(NameTail);

    /// <summary>Alias names follow the model-name segment rule (e.g. <c>prod</c>, <c>staging</c>, <c>canary-eu</c>).</summary>
    public static bool IsValidAlias(string alias) => IsSegment(alias);

    /// <summary><c>sha256:</c> followed by 64 lowercase hex digits.</summary>
    public static bool IsValidDigest(string digest) =>
        digest.Length == 71 && digest.StartsWith("sha256:", StringComparison.Ordinal)
        && !digest.AsSpan(7).ContainsAnyExcept(Hex);

    /// <summary>Keys of metrics, params and tags: 1..128 chars of letters, digits, <c>_ - . /</c>.</summary>
    public static bool IsValidKey(string key)
    {
        if (key.Length is < 1 or > 128)
        {
            return false;
        }
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Run ids appear in URL paths: 1..128 of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValidRunId(string id) => Names.IsValidKey(id) && !id.Contains('/', StringComparison.Ordinal);
}
