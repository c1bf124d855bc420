using System.Text;

namespace Arca.DataPlane.Http;

/// <summary>
/// Incremental, allocation-light HTTP/1.1 request-head parser (RFC 9112 §2–§5) for a server that never reads bodies.
/// It is fed the bytes of one request from its first byte on and resumes where it stopped. Decisions:
/// <list type="bullet">
/// <item>Lines end with CRLF only; a bare LF or a CR anywhere else is rejected (400) — the strict choice RFC 9112 §2.2
/// allows, and the one that leaves no room for request smuggling through a front proxy that splits lines differently.</item>
/// <item>Obsolete line folding, whitespace before the colon, control characters, NUL and any non-ASCII byte: 400.</item>
/// <item>Only origin-form targets ("/path?query"); absolute-form, authority-form and "*" get 400 (the data plane is not a proxy).</item>
/// <item>A body is never read, so Transfer-Encoding or a non-zero Content-Length gets 400 (Content-Length: 0 is fine).</item>
/// <item>HTTP/1.1 without Host gets 400 (RFC 9112 §3.2); repeated Host lines are accepted: nothing here depends on Host.</item>
/// <item>Up to four empty lines before the request line are skipped (RFC 9112 §2.2).</item>
/// </list>
/// </summary>
internal sealed class RequestParser
{
    private const int MaxLeadingEmptyLines = 4;

    private readonly int _maxRequestLineBytes;
    private readonly int _maxHeaderBytes;
    private readonly int _maxHeaderCount;

    private int _position;
    private int _headerStart;
    private int _headerCount;
    private int _leadingEmptyLines;
    private bool _connectionKeepAlive;
    private bool _connectionClose;

    public RequestParser(int maxRequestLineBytes, int maxHeaderBytes, int maxHeaderCount)
    {
        _maxRequestLineBytes = maxRequestLineBytes;
        _maxHeaderBytes = maxHeaderBytes;
        _maxHeaderCount = maxHeaderCount;
        Reset(null);
    }

    /// <summary>Buffer size that lets every limit trigger before the buffer fills.</summary>
    public static int BufferSize(DataPlaneOptions options) =>
        options.MaxRequestLineBytes + options.MaxHeaderBytes + (2 * MaxLeadingEmptyLines) + 64;

    /// <summary>After <see cref="ParseStatus.Complete"/>: bytes of the head, where the next pipelined request starts.</summary>
    public int Consumed => _position;

    public int ErrorStatus { get; private set; }

    public string ErrorReason { get; private set; } = "";

    /// <summary>True once the request line has been read (so a timeout is a slow header, not an idle connection).</summary>
    public bool Started => _headerStart >= 0 || _position > 0;

    public void Reset(RequestHead? head)
    {
        head?.Reset();
        _position = 0;
        _headerStart = -1;
        _headerCount = 0;
        _leadingEmptyLines = 0;
        _connectionKeepAlive = false;
        _connectionClose = false;
        ErrorStatus = 0;
        ErrorReason = "";
    }

    /// <summary>Parses as far as <paramref name="data"/> (the request's bytes from its first, possibly more) allows.</summary>
    public ParseStatus Parse(ReadOnlySpan<byte> data, RequestHead head)
    {
        while (true)
        {
            var rest = data[_position..];
            var lf = rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                return CheckIncompleteLimits(data.Length);
            }
            if (lf == 0 || rest[lf - 1] != (byte)'\r')
            {
                return Fail(400, "line not terminated by CRLF");
            }
            var line = rest[..(lf - 1)];
            var next = _position + lf + 1;

            if (_headerStart < 0)
            {
                if (line.IsEmpty)
                {
                    if (++_leadingEmptyLines > MaxLeadingEmptyLines)
                    {
                        return Fail(400, "empty request line");
                    }
                    _position = next;
                    continue;
                }
                if (line.Length > _maxRequestLineBytes)
                {
                    return Fail(414, "request line too long");
                }
                var status = ParseRequestLine(line, head);
                if (status != ParseStatus.Complete)
                {
                    return status;
                }
                _headerStart = next;
                _position = next;
                continue;
            }

            if (next - _headerStart > _maxHeaderBytes)
            {
                return Fail(431, "request header section too large");
            }
            _position = next;
            if (line.IsEmpty)
            {
                return Finish(head);
            }
            if (++_headerCount > _maxHeaderCount)
            {
                return Fail(431, "too many request header fields");
            }
            var fieldStatus = ParseField(line, head);
            if (fieldStatus != ParseStatus.Complete)
            {
                return fieldStatus;
            }
        }
    }

    private ParseStatus CheckIncompleteLimits(int available)
    {
        if (_headerStart < 0)
        {
            // +1: the CR of a line that is exactly at the limit may already be here.
            return available - _position > _maxRequestLineBytes + 1 ? Fail(414, "request line too long") : ParseStatus.Incomplete;
        }
        return available - _headerStart > _maxHeaderBytes ? Fail(431, "request header section too large") : ParseStatus.Incomplete;
    }

    private ParseStatus ParseRequestLine(ReadOnlySpan<byte> line, RequestHead head)
    {
        foreach (var b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return Fail(400, "invalid character in request line");
            }
        }
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0)
        {
            return Fail(400, "malformed request line");
        }
        var afterMethod = line[(sp1 + 1)..];
        var sp2 = afterMethod.IndexOf((byte)' ');
        if (sp2 <= 0)
        {
            return Fail(400, "malformed request line");
        }
        var method = line[..sp1];
        var target = afterMethod[..sp2];
        var version = afterMethod[(sp2 + 1)..];
        if (version.IndexOf((byte)' ') >= 0 || !IsToken(method))
        {
            return Fail(400, "malformed request line");
        }

        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            head.MinorVersion = 1;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            head.MinorVersion = 0;
        }
        else if (version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5])
            && version[6] == (byte)'.' && char.IsAsciiDigit((char)version[7]))
        {
            return Fail(505, "only HTTP/1.0 and HTTP/1.1 are served here");
        }
        else
        {
            return Fail(400, "malformed HTTP version");
        }

        if (target[0] != (byte)'/')
        {
            return Fail(400, "only origin-form request targets are accepted");
        }
        foreach (var b in target)
        {
            if (!IsTargetChar(b))
            {
                return Fail(400, "invalid character in request target");
            }
        }

        if (method.SequenceEqual("GET"u8))
        {
            head.Method = HttpMethodKind.Get;
            head.MethodText = "GET";
        }
        else if (method.SequenceEqual("HEAD"u8))
        {
            head.Method = HttpMethodKind.Head;
            head.MethodText = "HEAD";
        }
        else
        {
            head.Method = HttpMethodKind.Other;
            head.MethodText = Encoding.ASCII.GetString(method);
        }
        var question = target.IndexOf((byte)'?');
        if (question < 0)
        {
            head.Path = Encoding.ASCII.GetString(target);
            head.Query = null;
        }
        else
        {
            head.Path = Encoding.ASCII.GetString(target[..question]);
            head.Query = Encoding.ASCII.GetString(target[(question + 1)..]);
        }
        return ParseStatus.Complete;
    }

    private ParseStatus ParseField(ReadOnlySpan<byte> line, RequestHead head)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            return Fail(400, "obsolete line folding is not accepted");
        }
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            return Fail(400, "malformed header field");
        }
        var name = line[..colon];
        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (b != (byte)'\t' && b is < 0x20 or > 0x7E)
            {
                return Fail(400, "invalid character in header field value");
            }
        }

        if (Ascii.EqualsIgnoreCase(name, "host"u8))
        {
            head.HostCount++;
        }
        else if (Ascii.EqualsIgnoreCase(name, "range"u8))
        {
            head.RangeRepeated |= head.Range is not null;
            head.Range = Encoding.ASCII.GetString(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "if-none-match"u8))
        {
            var tags = Encoding.ASCII.GetString(value);
            head.IfNoneMatch = head.IfNoneMatch is null ? tags : $"{head.IfNoneMatch}, {tags}";
        }
        else if (Ascii.EqualsIgnoreCase(name, "if-range"u8))
        {
            // A repeated If-Range can never hold (empty matches no tag), so the Range is then ignored.
            head.IfRange = head.IfRange is null ? Encoding.ASCII.GetString(value) : "";
        }
        else if (Ascii.EqualsIgnoreCase(name, "authorization"u8))
        {
            if (head.Authorization is not null)
            {
                return Fail(400, "repeated Authorization header field");
            }
            head.Authorization = Encoding.ASCII.GetString(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
        {
            foreach (var part in value.Split((byte)','))
            {
                var option = value[part].Trim(" \t"u8);
                _connectionClose |= Ascii.EqualsIgnoreCase(option, "close"u8);
                _connectionKeepAlive |= Ascii.EqualsIgnoreCase(option, "keep-alive"u8);
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
        {
            if (!value.SequenceEqual("0"u8))
            {
                return Fail(400, "request bodies are not accepted");
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            return Fail(400, "request bodies are not accepted");
        }
        return ParseStatus.Complete;
    }

    private ParseStatus Finish(RequestHead head)
    {
        if (head.MinorVersion == 1 && head.HostCount == 0)
        {
            return Fail(400, "HTTP/1.1 request without Host");
        }
        head.KeepAlive = !_connectionClose && (head.MinorVersion == 1 || _connectionKeepAlive);
        return ParseStatus.Complete;
    }

    private ParseStatus Fail(int status, string reason)
    {
        ErrorStatus = status;
        ErrorReason = reason;
        return ParseStatus.Error;
    }

    /// <summary>tchar of RFC 9110 §5.6.2.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var b in text)
        {
            var ok = b switch
            {
                >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' => true,
                (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
                    or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~' => true,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>RFC 3986 characters of an origin-form target: unreserved, sub-delims, ":@/?" and '%'.</summary>
    private static bool IsTargetChar(byte b) => b switch
    {
        >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' => true,
        (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' => true,
        (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+'
            or (byte)',' or (byte)';' or (byte)'=' => true,
        (byte)':' or (byte)'@' or (byte)'/' or (byte)'?' or (byte)'%' => true,
        _ => false,
    };
}
