using System.Security.Cryptography;
using System.Text.Json;

namespace Arca.Client;

/// <summary>One file of an artifact as the client describes it.</summary>
public sealed record LayerDescriptor(string Path, string Digest, long Size, string MediaType);

/// <summary>
/// Writes artifact manifests in canonical form (keys sorted, no whitespace, layers ordered by path), so the same files
/// always give the same manifest digest and re-pushing a model finds its existing version.
/// </summary>
public static class Manifest
{
    public const string MediaType = "application/vnd.arca.manifest.v1+json";

    public static byte[] Canonical(IEnumerable<LayerDescriptor> layers, IReadOnlyDictionary<string, string>? annotations = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject("annotations");
            foreach (var (k, v) in (annotations ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
            w.WriteStartArray("layers");
            foreach (var l in layers.OrderBy(l => l.Path, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("digest", l.Digest);
                w.WriteString("mediaType", l.MediaType);
                w.WriteString("path", l.Path);
                w.WriteNumber("size", l.Size);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("mediaType", MediaType);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
