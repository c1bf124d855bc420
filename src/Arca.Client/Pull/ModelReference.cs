using System.Globalization;

namespace Arca.Client.Pull;

/// <summary><c>NAME</c> (latest version), <c>NAME:7</c> (a version) or <c>NAME@prod</c> (an alias).</summary>
public sealed record ModelReference(string Model, long? Version, string? Alias)
{
    public static bool TryParse(string text, out ModelReference reference)
    {
        reference = new ModelReference(text, null, null);
        var at = text.LastIndexOf('@');
        if (at > 0)
        {
            reference = new ModelReference(text[..at], null, text[(at + 1)..]);
            return reference.Alias!.Length > 0;
        }
        var colon = text.LastIndexOf(':');
        if (colon > 0)
        {
            var ok = long.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0;
            reference = new ModelReference(text[..colon], v, null);
            return ok;
        }
        return text.Length > 0;
    }

    public override string ToString() => Alias is not null ? $"{Model}@{Alias}" : Version is { } v ? $"{Model}:{v}" : Model;
}
