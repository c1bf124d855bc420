namespace Arca.DataPlane.Http;

internal enum ParseStatus
{
    /// <summary>More bytes are needed; none of the limits has been exceeded yet.</summary>
    Incomplete,

    /// <summary>A whole, valid head was read.</summary>
    Complete,

    /// <summary>The head is malformed or over a limit; answer <see cref="RequestParser.ErrorStatus"/> and close.</summary>
    Error,
}
