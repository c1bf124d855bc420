namespace Arca.Server.Http;

/// <summary>The stable <c>code</c> of every problem+json response; one status per code.</summary>
public static class ProblemCode
{
    public const string MalformedJson = "MALFORMED_JSON";
    public const string UnknownField = "UNKNOWN_FIELD";
    public const string MissingField = "MISSING_FIELD";
    public const string WrongType = "WRONG_TYPE";
    public const string BodyTooLarge = "BODY_TOO_LARGE";
    public const string InvalidName = "INVALID_NAME";
    public const string InvalidDigest = "INVALID_DIGEST";
    public const string InvalidArgument = "INVALID_ARGUMENT";
    public const string InvalidFilter = "INVALID_FILTER";
    public const string InvalidCursor = "INVALID_CURSOR";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string ModelNotFound = "MODEL_NOT_FOUND";
    public const string VersionNotFound = "VERSION_NOT_FOUND";
    public const string AliasNotFound = "ALIAS_NOT_FOUND";
    public const string RunNotFound = "RUN_NOT_FOUND";
    public const string TokenNotFound = "TOKEN_NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string ModelExists = "MODEL_EXISTS";
    public const string RunExists = "RUN_EXISTS";
    public const string VersionExists = "VERSION_EXISTS";
    public const string RevisionMismatch = "REVISION_MISMATCH";
    public const string UnknownRun = "UNKNOWN_RUN";
    public const string ArtifactNotStored = "ARTIFACT_NOT_STORED";
    public const string NotReady = "NOT_READY";
    public const string DigestInvalid = "DIGEST_INVALID";
    public const string ManifestInvalid = "MANIFEST_INVALID";
    public const string BlobNotFound = "BLOB_NOT_FOUND";
    public const string ManifestNotFound = "MANIFEST_NOT_FOUND";
    public const string UploadNotFound = "UPLOAD_NOT_FOUND";
    public const string UploadOffsetMismatch = "UPLOAD_OFFSET_MISMATCH";
    public const string UploadCompleted = "UPLOAD_COMPLETED";
    public const string ContentRangeInvalid = "CONTENT_RANGE_INVALID";
    public const string UpstreamUnavailable = "UPSTREAM_UNAVAILABLE";
    public const string Internal = "INTERNAL";

    public static int Status(string code) => code switch
    {
        Unauthorized => 401,
        Forbidden => 403,
        NotFound or ModelNotFound or VersionNotFound or AliasNotFound or RunNotFound or TokenNotFound
            or BlobNotFound or ManifestNotFound or UploadNotFound => 404,
        UploadOffsetMismatch => 416,
        MethodNotAllowed => 405,
        ModelExists or RunExists or VersionExists or UploadCompleted => 409,
        RevisionMismatch => 412,
        BodyTooLarge => 413,
        UnknownRun or ArtifactNotStored => 422,
        NotReady => 503,
        UpstreamUnavailable => 502,
        Internal => 500,
        _ => 400,
    };

    public static string Title(string code) => code switch
    {
        MalformedJson => "The body is not valid JSON",
        UnknownField => "The body has a field this endpoint does not accept",
        MissingField => "The body lacks a required field",
        WrongType => "A field has the wrong type",
        BodyTooLarge => "The body is larger than the server accepts",
        InvalidName => "Invalid name",
        InvalidDigest => "Invalid digest",
        InvalidArgument => "Invalid argument",
        InvalidFilter => "Invalid filter or sort",
        InvalidCursor => "Invalid cursor",
        Unauthorized => "Missing or invalid bearer token",
        Forbidden => "The token does not grant this",
        NotFound => "No such resource",
        ModelNotFound => "Model not found",
        VersionNotFound => "Version not found",
        AliasNotFound => "Alias not found",
        RunNotFound => "Run not found",
        TokenNotFound => "Token not found",
        MethodNotAllowed => "Method not allowed",
        ModelExists => "Model already exists",
        RunExists => "Run already exists",
        VersionExists => "This artifact is already registered as a version of the model",
        RevisionMismatch => "The alias has moved since the revision given in If-Match",
        UnknownRun => "The run referenced does not exist",
        ArtifactNotStored => "The artifact is not stored",
        NotReady => "Not ready",
        DigestInvalid => "The content does not match its digest",
        ManifestInvalid => "Invalid manifest",
        BlobNotFound => "Blob not found",
        ManifestNotFound => "Manifest not found",
        UploadNotFound => "Upload session not found (finished, cancelled, expired, or the server restarted)",
        UploadOffsetMismatch => "The chunk does not start where the upload stands",
        UploadCompleted => "The upload has ended and takes no more bytes",
        ContentRangeInvalid => "Invalid Content-Range",
        UpstreamUnavailable => "This tier cannot reach its upstream and holds no usable copy",
        _ => "Internal error",
    };

    public static string From(Metadata.StoreError error) => error switch
    {
        Metadata.StoreError.InvalidName => InvalidName,
        Metadata.StoreError.InvalidDigest => InvalidDigest,
        Metadata.StoreError.InvalidFilter => InvalidFilter,
        Metadata.StoreError.InvalidCursor => InvalidCursor,
        Metadata.StoreError.ModelNotFound => ModelNotFound,
        Metadata.StoreError.VersionNotFound => VersionNotFound,
        Metadata.StoreError.AliasNotFound => AliasNotFound,
        Metadata.StoreError.RunNotFound => RunNotFound,
        Metadata.StoreError.TokenNotFound => TokenNotFound,
        Metadata.StoreError.ModelExists => ModelExists,
        Metadata.StoreError.RunExists => RunExists,
        Metadata.StoreError.VersionExists => VersionExists,
        Metadata.StoreError.RevisionMismatch => RevisionMismatch,
        Metadata.StoreError.UnknownRun => UnknownRun,
        Metadata.StoreError.ArtifactNotStored => ArtifactNotStored,
        _ => InvalidArgument,
    };
}
