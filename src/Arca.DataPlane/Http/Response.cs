namespace Arca.DataPlane.Http;

/// <summary>What to answer one request with: a status, the representation headers and either a small text or file content.</summary>
internal struct Response
{
    public int Status;

    /// <summary>Set for responses about a stored object (200, 206, 304, 416).</summary>
    public string? ETag;

    /// <summary>The Content-Length to send (for HEAD and 304: what a 200 GET would send).</summary>
    public long ContentLength;

    /// <summary>The object's length, for Content-Range.</summary>
    public long TotalLength;

    /// <summary>Inclusive byte positions of a 206 body (and of a 200 body: 0..length-1).</summary>
    public long First;

    public long Last;

    /// <summary>The content for a 200/206 GET; null otherwise.</summary>
    public ContentLayout? Layout;

    /// <summary>A short text/plain body for errors.</summary>
    public string? Text;

    public ResponseExtraHeader Extra;

    /// <summary>Close the connection after this response (malformed requests).</summary>
    public bool Close;

    /// <summary>
    /// Status 0: not answered yet. The content is not held here; the connection asks the source's
    /// <see cref="IContentSource.LookupMissAsync"/> for (<see cref="Kind"/>, <see cref="Hex"/>) and decides again.
    /// </summary>
    public bool Deferred => Status == 0;

    public ContentKind Kind;

    public string? Hex;

    public bool Repair;

    /// <summary>
    /// With status 0: the bearer token still has to be checked (<see cref="IBearerAuthorizer.IsUnknown"/>); <see cref="Kind"/>
    /// and <see cref="Hex"/> name the content asked for.
    /// </summary>
    public string? PendingToken;

    public static Response Error(int status, string text, bool close = false, ResponseExtraHeader extra = ResponseExtraHeader.None) => new()
    {
        Status = status,
        Text = text + "\n",
        ContentLength = text.Length + 1,
        Close = close,
        Extra = extra,
    };
}
