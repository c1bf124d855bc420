namespace Arca.DataPlane.Http;

internal enum ResponseExtraHeader
{
    None,

    /// <summary><c>Allow: GET, HEAD</c> on 405.</summary>
    Allow,

    /// <summary><c>WWW-Authenticate: Bearer realm="arca"</c> on 401.</summary>
    WwwAuthenticate,
}
