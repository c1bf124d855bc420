using System.Globalization;

namespace Arca.Metadata;

/// <summary>Timestamps are stored as fixed-width ISO 8601 UTC text, so string order is time order.</summary>
public static class Timestamps
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string s) =>
        DateTimeOffset.ParseExact(s, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static bool TryParseUser(string s, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
}
