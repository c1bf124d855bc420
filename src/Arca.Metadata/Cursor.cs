using System.Buffers.Text;
using System.Text;

namespace Arca.Metadata;

/// <summary>Opaque keyset cursors: the sort key of the last row returned, base64url-encoded.</summary>
internal static class Cursor
{
    public static string Encode(string raw) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(raw));

    public static bool TryDecode(string? cursor, out string raw)
    {
        raw = "";
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }
        try
        {
            raw = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
