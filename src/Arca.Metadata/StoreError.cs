namespace Arca.Metadata;

/// <summary>Expected failures of a metadata operation. The server maps each to one HTTP status and problem code.</summary>
public enum StoreError
{
    None,
    InvalidName,
    InvalidDigest,
    InvalidArgument,
    InvalidFilter,
    InvalidCursor,
    ModelNotFound,
    VersionNotFound,
    AliasNotFound,
    RunNotFound,
    TokenNotFound,
    ModelExists,
    RunExists,
    VersionExists,
    RevisionMismatch,
    UnknownRun,
    ArtifactNotStored,
}
