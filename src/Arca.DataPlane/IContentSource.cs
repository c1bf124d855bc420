namespace Arca.DataPlane;

/// <summary>The store as the data plane sees it. Called on the request path: keep it fast and non-blocking.</summary>
public interface IContentSource
{
    /// <summary>The layout of <paramref name="hexDigest"/> (64 lowercase hex digits), or null when the store does not hold it (404).</summary>
    ContentLayout? Lookup(ContentKind kind, string hexDigest);
}
