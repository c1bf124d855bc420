using System.Globalization;
using System.Text;

namespace Arca.DataPlane.Http;

/// <summary>Formats a response head (and a small text body) as the bytes to send.</summary>
internal static class ResponseWriter
{
    /// <summary>Large enough for every head we write plus the longest error text.</summary>
    public const int BufferSize = 1024;

    public static int Write(Span<byte> buffer, in Response response, bool headRequest, bool keepAlive, DateTimeOffset now)
    {
        var w = new SpanWriter(buffer);
        w.Append("HTTP/1.1 "u8);
        w.Append(response.Status);
        w.Append(" "u8);
        w.Append(ReasonPhrase(response.Status));
        w.Append("\r\nDate: "u8);
        w.Append(now.UtcDateTime);
        if (response.ETag is not null)
        {
            w.Append(response.Text is null ? "\r\nContent-Type: application/octet-stream"u8 : "\r\nContent-Type: text/plain; charset=utf-8"u8);
            w.Append("\r\nAccept-Ranges: bytes\r\nETag: "u8);
            w.Append(response.ETag);
            w.Append("\r\nCache-Control: public, max-age=31536000, immutable"u8);
            if (response.Status == 206)
            {
                w.Append("\r\nContent-Range: bytes "u8);
                w.Append(response.First);
                w.Append("-"u8);
                w.Append(response.Last);
                w.Append("/"u8);
                w.Append(response.TotalLength);
            }
            else if (response.Status == 416)
            {
                w.Append("\r\nContent-Range: bytes */"u8);
                w.Append(response.TotalLength);
            }
        }
        else if (response.Text is not null)
        {
            w.Append("\r\nContent-Type: text/plain; charset=utf-8"u8);
        }
        w.Append("\r\nContent-Length: "u8);
        w.Append(response.ContentLength);
        switch (response.Extra)
        {
            case ResponseExtraHeader.Allow:
                w.Append("\r\nAllow: GET, HEAD"u8);
                break;
            case ResponseExtraHeader.WwwAuthenticate:
                w.Append("\r\nWWW-Authenticate: Bearer realm=\"arca\""u8);
                break;
            default:
                break;
        }
        w.Append(keepAlive ? "\r\nConnection: keep-alive\r\n\r\n"u8 : "\r\nConnection: close\r\n\r\n"u8);
        if (response.Text is not null && !headRequest)
        {
            w.Append(response.Text);
        }
        return w.Length;
    }

    private static ReadOnlySpan<byte> ReasonPhrase(int status) => status switch
    {
        200 => "OK"u8,
        206 => "Partial Content"u8,
        304 => "Not Modified"u8,
        400 => "Bad Request"u8,
        401 => "Unauthorized"u8,
        403 => "Forbidden"u8,
        404 => "Not Found"u8,
        405 => "Method Not Allowed"u8,
        408 => "Request Timeout"u8,
        414 => "URI Too Long"u8,
        416 => "Range Not Satisfiable"u8,
        431 => "Request Header Fields Too Large"u8,
        500 => "Internal Server Error"u8,
        503 => "Service Unavailable"u8,
        505 => "HTTP Version Not Supported"u8,
        _ => "Unknown"u8,
    };

    private ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _length;

        public readonly int Length => _length;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[_length..]);
            _length += bytes.Length;
        }

        public void Append(string ascii) => _length += Encoding.ASCII.GetBytes(ascii, _buffer[_length..]);

        public void Append(long value)
        {
            value.TryFormat(_buffer[_length..], out var written, default, CultureInfo.InvariantCulture);
            _length += written;
        }

        public void Append(DateTime utc)
        {
            utc.TryFormat(_buffer[_length..], out var written, "R", CultureInfo.InvariantCulture);
            _length += written;
        }
    }
}
