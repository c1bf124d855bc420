using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arca.Metadata;

/// <summary>Source-generated JSON for rows stored as JSON and for event and audit payloads (snake_case, AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Model))]
[JsonSerializable(typeof(ModelVersion))]
[JsonSerializable(typeof(Run))]
[JsonSerializable(typeof(AliasTarget))]
[JsonSerializable(typeof(AliasMove))]
[JsonSerializable(typeof(TokenInfo))]
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(VersionComparison))]
public sealed partial class MetadataJson : JsonSerializerContext;
