using System.Text.Json.Serialization;
using Arca.Metadata;
using Arca.Server.Http;

namespace Arca.Server.Api;

/// <summary>Source-generated JSON of the API (snake_case; unknown request fields are an error).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(CreateModelRequest))]
[JsonSerializable(typeof(UpdateModelRequest))]
[JsonSerializable(typeof(RegisterVersionRequest))]
[JsonSerializable(typeof(CreateRunRequest))]
[JsonSerializable(typeof(MoveAliasRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(Model))]
[JsonSerializable(typeof(ModelVersion))]
[JsonSerializable(typeof(Run))]
[JsonSerializable(typeof(AliasTarget))]
[JsonSerializable(typeof(AliasMove))]
[JsonSerializable(typeof(TokenInfo))]
[JsonSerializable(typeof(VersionComparison))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(VersionList))]
[JsonSerializable(typeof(AliasList))]
[JsonSerializable(typeof(AliasHistory))]
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(EventList))]
[JsonSerializable(typeof(AuditList))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(TokenCreated))]
[JsonSerializable(typeof(Lineage))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(UploadStatus))]
[JsonSerializable(typeof(BlobInfo))]
[JsonSerializable(typeof(BlobRecipe))]
[JsonSerializable(typeof(ArtifactDownload))]
[JsonSerializable(typeof(WhoAmI))]
[JsonSerializable(typeof(PrewarmRequest))]
[JsonSerializable(typeof(TierStatus))]
[JsonSerializable(typeof(TierVersion))]
public sealed partial class ServerJson : JsonSerializerContext
{
    /// <summary>
    /// The context the API writes with: like <see cref="JsonSerializerContext"/>'s default but without escaping
    /// '&amp;', '+' and quotes as \uXXXX, so URLs and media types in responses stay readable (all output is UTF-8 JSON
    /// served as application/json, never embedded in HTML).
    /// </summary>
    public static ServerJson Web => LazyInitializer.EnsureInitialized(ref _web, CreateWeb);

    private static ServerJson? _web;

    private static ServerJson CreateWeb()
    {
        var options = new System.Text.Json.JsonSerializerOptions(Default.Options)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return new ServerJson(options);
    }
}
