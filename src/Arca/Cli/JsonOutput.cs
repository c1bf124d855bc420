using System.Text;
using System.Text.Json;

namespace Arca.Cli;

/// <summary>
/// What <c>--json</c> prints when one command reads several responses: merged pages as one array, or a few
/// responses as the members of one object (Utf8JsonWriter, so nothing needs reflection under Native AOT).
/// </summary>
internal static class JsonOutput
{
    public static string Array(IEnumerable<JsonElement> items) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var item in items)
        {
            item.WriteTo(w);
        }
        w.WriteEndArray();
    });

    /// <summary>An object of named parts; a null part is written as JSON null.</summary>
    public static string Object(IEnumerable<(string Name, JsonElement? Value)> members) => Write(w =>
    {
        w.WriteStartObject();
        foreach (var (name, value) in members)
        {
            w.WritePropertyName(name);
            if (value is { } v)
            {
                v.WriteTo(w);
            }
            else
            {
                w.WriteNullValue();
            }
        }
        w.WriteEndObject();
    });

    /// <summary>One value on one line (NDJSON), whatever the layout of the text it was parsed from.</summary>
    public static string Line(JsonElement value) => Write(value.WriteTo);

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
