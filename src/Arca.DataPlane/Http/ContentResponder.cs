namespace Arca.DataPlane.Http;

/// <summary>
/// Decides the answer to a parsed request: route, access, lookup, conditionals, range. Order matters: malformed
/// paths and unknown routes first (they reveal nothing), then credentials (401/403 before any lookup, so existence
/// does not leak), then 404, If-None-Match (304) and finally Range/If-Range (RFC 9110 §13.2.2).
/// </summary>
internal sealed class ContentResponder(IContentSource content, UrlSigner signer, IBearerAuthorizer bearer)
{
    private const string BlobPrefix = "/blobs/sha256/";
    private const string ChunkPrefix = "/chunks/sha256/";
    private const int HexLength = 64;

    public IContentSource Content => content;

    public IBearerAuthorizer Bearer => bearer;

    public Response Decide(RequestHead head) => Decide(head, missResolved: false, null);

    /// <param name="missResolved">True when <paramref name="resolved"/> is what <see cref="IContentSource.LookupMissAsync"/> found.</param>
    /// <param name="tokenChecked">True once <see cref="IBearerAuthorizer.CheckAsync"/> ran for the request's token.</param>
    public Response Decide(RequestHead head, bool missResolved, ContentLayout? resolved, bool tokenChecked = false)
    {
        var route = Route(head.Path, out var kind, out var hex);
        if (route is not null)
        {
            return route.Value;
        }
        if (head.Method == HttpMethodKind.Other)
        {
            return Response.Error(405, "only GET and HEAD are served here", extra: ResponseExtraHeader.Allow);
        }

        if (Authorize(head, tokenChecked || missResolved) is { } denied)
        {
            if (denied.PendingToken is not null)
            {
                (denied.Kind, denied.Hex) = (kind, hex); // for IContentSource.PrepareMiss while the token is checked
            }
            return denied;
        }

        var repair = kind == ContentKind.Chunk && HasQueryFlag(head.Query, "repair=1");
        var checkRepair = repair && (content.ResolvesMisses || content.ChecksRepairs);
        var layout = missResolved ? resolved : checkRepair ? null : content.Lookup(kind, hex);
        if (layout is null)
        {
            return !missResolved && (content.ResolvesMisses || checkRepair)
                ? new Response { Status = 0, Kind = kind, Hex = hex, Repair = repair }
                : Response.Error(404, "not found");
        }
        if (layout.Fill is null && !IsConsistent(layout))
        {
            return Response.Error(500, "stored content layout is inconsistent");
        }

        var etag = EntityTags.For(hex);
        var response = new Response
        {
            Status = 200,
            ETag = etag,
            ContentLength = layout.Length,
            TotalLength = layout.Length,
            First = 0,
            Last = layout.Length - 1,
        };
        if (head.IfNoneMatch is not null && EntityTags.NoneMatchHits(head.IfNoneMatch, etag))
        {
            // No content; Content-Length stays the 200 length, the one value RFC 9110 §8.6 allows on a 304.
            response.Status = 304;
            return response;
        }

        // RFC 9110 §14.2: Range is defined for GET only, so HEAD ignores it. A Range that appears twice is invalid: ignored.
        if (head.Method == HttpMethodKind.Get && head.Range is not null && !head.RangeRepeated
            && (head.IfRange is null || EntityTags.IfRangeHolds(head.IfRange, etag)))
        {
            var range = ByteRanges.Evaluate(head.Range, layout.Length);
            if (range.Outcome == RangeOutcome.Unsatisfiable)
            {
                var text = "range not satisfiable\n";
                response.Status = 416;
                response.Text = text;
                response.ContentLength = text.Length;
                return response;
            }
            if (range.Outcome == RangeOutcome.Partial)
            {
                response.Status = 206;
                response.First = range.First;
                response.Last = range.Last;
                response.ContentLength = range.Count;
            }
        }
        if (head.Method == HttpMethodKind.Get && response.ContentLength > 0)
        {
            response.Layout = layout;
        }
        return response;
    }

    /// <summary>Null when the path names a stored object (<paramref name="kind"/>, <paramref name="hex"/>); else the error to send.</summary>
    internal static Response? Route(string path, out ContentKind kind, out string hex)
    {
        kind = ContentKind.Blob;
        hex = "";
        if (path.Contains('%', StringComparison.Ordinal))
        {
            return Response.Error(400, "percent-encoded paths are not accepted");
        }
        foreach (var segment in path.AsSpan().Split('/'))
        {
            var name = path.AsSpan()[segment];
            if (name is "." or "..")
            {
                return Response.Error(400, "dot segments are not accepted");
            }
        }
        string rest;
        if (path.StartsWith(BlobPrefix, StringComparison.Ordinal))
        {
            rest = path[BlobPrefix.Length..];
        }
        else if (path.StartsWith(ChunkPrefix, StringComparison.Ordinal))
        {
            kind = ContentKind.Chunk;
            rest = path[ChunkPrefix.Length..];
        }
        else
        {
            return Response.Error(404, "not found");
        }
        if (rest.Length != HexLength || !IsLowerHex(rest))
        {
            return Response.Error(400, "digest must be 64 lowercase hex digits");
        }
        hex = rest;
        return null;
    }

    private Response? Authorize(RequestHead head, bool tokenChecked)
    {
        string? exp = null;
        string? sig = null;
        if (head.Query is not null)
        {
            var query = head.Query.AsSpan();
            foreach (var part in query.Split('&'))
            {
                var pair = query[part];
                var eq = pair.IndexOf('=');
                var name = eq < 0 ? pair : pair[..eq];
                var value = eq < 0 ? "" : pair[(eq + 1)..].ToString();
                if (name is "exp")
                {
                    if (exp is not null)
                    {
                        return Response.Error(400, "repeated exp parameter");
                    }
                    exp = value;
                }
                else if (name is "sig")
                {
                    if (sig is not null)
                    {
                        return Response.Error(400, "repeated sig parameter");
                    }
                    sig = value;
                }
            }
        }

        var presigned = exp is not null || sig is not null;
        string? token = null;
        if (head.Authorization is not null)
        {
            var auth = head.Authorization.AsSpan();
            if (auth.Length > 7 && auth[..7].Equals("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                var t = auth[7..].Trim(' ');
                token = t.IsEmpty ? null : t.ToString();
            }
        }
        if (!presigned && token is null)
        {
            return Response.Error(401, "a presigned URL or a bearer token is required", extra: ResponseExtraHeader.WwwAuthenticate);
        }
        if (presigned && signer.Verify(head.MethodText, head.Path, exp, sig))
        {
            return null;
        }
        if (token is not null && bearer.Allows(token))
        {
            return null;
        }
        if (token is not null && !tokenChecked && bearer.IsUnknown(token))
        {
            return new Response { Status = 0, PendingToken = token };
        }
        return Response.Error(403, "access denied");
    }

    private static bool HasQueryFlag(string? query, string flag)
    {
        if (query is null)
        {
            return false;
        }
        foreach (var part in query.AsSpan().Split('&'))
        {
            if (query.AsSpan()[part].SequenceEqual(flag))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsConsistent(ContentLayout layout)
    {
        long sum = 0;
        foreach (var extent in layout.Extents)
        {
            if (extent.Offset < 0 || extent.Length < 0 || extent.File is null || extent.File.IsInvalid)
            {
                return false;
            }
            sum += extent.Length;
        }
        return sum == layout.Length;
    }

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
