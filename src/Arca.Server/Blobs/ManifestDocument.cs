using System.Text.Json;
using Arca.Metadata;

namespace Arca.Server.Blobs;

/// <summary>
/// The artifact manifest of a version: <c>{"mediaType", "layers":[{"path","digest","size","mediaType"}], "annotations"}</c>.
/// Clients send it canonical (keys sorted, no whitespace) so equal artifacts have equal digests; the server stores
/// the bytes it received and checks their sha256 against the digest in the URL.
/// </summary>
internal static class ManifestDocument
{
    public const int MaxLayers = 100_000;

    /// <summary>Validates a manifest; returns its layers, or null with the reason.</summary>
    public static IReadOnlyList<ManifestLayer>? Parse(ReadOnlySpan<byte> body, out string error)
    {
        error = "";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            error = "the manifest is not valid JSON: " + e.Message;
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the manifest must be a JSON object";
                return null;
            }
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "mediaType" when property.Value.ValueKind == JsonValueKind.String:
                    case "layers" when property.Value.ValueKind == JsonValueKind.Array:
                        break;
                    case "annotations" when property.Value.ValueKind == JsonValueKind.Object
                        && property.Value.EnumerateObject().All(a => a.Value.ValueKind == JsonValueKind.String):
                        break;
                    default:
                        error = $"manifest field '{property.Name}' is unknown or has the wrong type";
                        return null;
                }
            }
            if (!root.TryGetProperty("layers", out var layersElement))
            {
                error = "the manifest has no 'layers'";
                return null;
            }
            var layers = new List<ManifestLayer>();
            var paths = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in layersElement.EnumerateArray())
            {
                if (layers.Count == MaxLayers)
                {
                    error = $"a manifest lists at most {MaxLayers} layers";
                    return null;
                }
                if (ParseLayer(layer, out error) is not { } parsed)
                {
                    return null;
                }
                if (!paths.Add(parsed.Path))
                {
                    error = $"layer path '{parsed.Path}' appears twice";
                    return null;
                }
                layers.Add(parsed);
            }
            foreach (var path in paths)
            {
                for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
                {
                    if (paths.Contains(path[..slash]))
                    {
                        // A client could not create both: one would have to be a file and a directory at once.
                        error = $"layer path '{path[..slash]}' is also a directory of layer '{path}'";
                        return null;
                    }
                }
            }
            return layers;
        }
    }

    private static ManifestLayer? ParseLayer(JsonElement layer, out string error)
    {
        error = "";
        if (layer.ValueKind != JsonValueKind.Object)
        {
            error = "each layer must be an object";
            return null;
        }
        string? path = null, digest = null, mediaType = null;
        long size = -1;
        foreach (var p in layer.EnumerateObject())
        {
            switch (p.Name)
            {
                case "path" when p.Value.ValueKind == JsonValueKind.String: path = p.Value.GetString(); break;
                case "digest" when p.Value.ValueKind == JsonValueKind.String: digest = p.Value.GetString(); break;
                case "mediaType" when p.Value.ValueKind == JsonValueKind.String: mediaType = p.Value.GetString(); break;
                case "size" when p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var s) && s >= 0: size = s; break;
                default:
                    error = $"layer field '{p.Name}' is unknown or has the wrong type";
                    return null;
            }
        }
        if (path is null || digest is null || size < 0)
        {
            error = "each layer needs 'path', 'digest' and 'size'";
            return null;
        }
        if (!IsSafeRelativePath(path))
        {
            error = $"layer path '{path}' must be relative, without '..', '.', empty segments, backslashes or control characters";
            return null;
        }
        if (!Names.IsValidDigest(digest))
        {
            error = $"layer '{path}': '{digest}' is not sha256: followed by 64 lowercase hex digits";
            return null;
        }
        return new ManifestLayer { Path = path, Digest = digest, Size = size, MediaType = mediaType ?? "application/octet-stream" };
    }

    /// <summary>A path a client can safely create under its target directory.</summary>
    public static bool IsSafeRelativePath(string path)
    {
        if (path.Length is 0 or > 4096 || path[0] == '/' || path.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return false;
            }
        }
        return true;
    }
}
