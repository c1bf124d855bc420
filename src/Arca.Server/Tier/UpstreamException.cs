namespace Arca.Server.Tier;

/// <summary>The upstream could not be reached or answered with a server error (a tier may then serve stale data).</summary>
public sealed class UpstreamException(string message, Exception? inner = null, bool notFound = false) : Exception(message, inner)
{
    /// <summary>The upstream answered 404: retrying will not help.</summary>
    public bool NotFound { get; } = notFound;
}
