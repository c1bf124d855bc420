namespace Arca.DataPlane.Http;

/// <summary>Entity-tag comparisons of RFC 9110 §8.8.3 against our one strong tag, <c>"sha256:&lt;hex&gt;"</c>.</summary>
internal static class EntityTags
{
    public static string For(string hex) => $"\"sha256:{hex}\"";

    /// <summary>If-None-Match: "*" or any listed tag equal under the weak comparison (W/ ignored).</summary>
    public static bool NoneMatchHits(string ifNoneMatch, string etag)
    {
        var value = ifNoneMatch.AsSpan();
        foreach (var part in value.Split(','))
        {
            var tag = value[part].Trim(" \t");
            if (tag.SequenceEqual("*"))
            {
                return true;
            }
            if (tag.StartsWith("W/", StringComparison.Ordinal))
            {
                tag = tag[2..];
            }
            if (tag.SequenceEqual(etag))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>If-Range: only an exactly equal strong tag keeps the Range; a weak tag or an HTTP-date (we send no Last-Modified) does not.</summary>
    public static bool IfRangeHolds(string ifRange, string etag) => ifRange.AsSpan().Trim(" \t").SequenceEqual(etag);
}
