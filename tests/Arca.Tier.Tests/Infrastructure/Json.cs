using System.Text.Json;

namespace Arca.Tier.Tests.Infrastructure;

internal static class Json
{
    public static JsonElement Parse(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
