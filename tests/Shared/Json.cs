using System.Text.Json;

namespace Arca.Tests.Shared;

internal static class Json
{
    public static JsonElement Parse(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
