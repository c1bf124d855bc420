using System.Globalization;
using System.Text.Json;

namespace Arca.Cli;

/// <summary>How API values read in tables and field lists: short digests, compact metrics, UTC times, sizes.</summary>
internal static class Cells
{
    /// <summary>A string property, the raw JSON of any other value, or "" when absent or null.</summary>
    public static string Text(JsonElement obj, string property) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out var v) ? Value(v) : "";

    public static string Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };

    /// <summary><c>sha256:</c> and the first 12 hex digits, enough to tell artifacts apart at a glance.</summary>
    public static string ShortDigest(string digest) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length > 19 ? digest[..19] : digest;

    public static string Time(JsonElement obj, string property, bool seconds = false) =>
        obj.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t)
            ? t.ToUniversalTime().ToString(seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : "";

    /// <summary>An object's members as <c>k=v k=v</c> (metrics, params, tags, hyperparameters).</summary>
    public static string Pairs(JsonElement obj, string property) =>
        obj.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Object
            ? string.Join(' ', v.EnumerateObject().Select(p => p.Name + "=" + Value(p.Value)))
            : "";

    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    public static string Delta(double value) => (value > 0 ? "+" : "") + Number(value);

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double size = bytes;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : size.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
