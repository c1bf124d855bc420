namespace Arca.DataPlane.Http;

/// <summary>
/// RFC 9110 §14 byte ranges, single range only. Decisions (each allowed by RFC 9110 §14.2, "a server MAY ignore the
/// Range header field"):
/// <list type="bullet">
/// <item>A syntactically invalid header (unknown unit, "5-2", junk, empty set) is ignored: 200 with the whole content.</item>
/// <item>A multi-range request ("bytes=0-1,5-6") is also served whole with 200: multipart/byteranges buys nothing for
/// content-addressed blobs (clients fetch one range per request) and avoids a response with no single length.</item>
/// <item>Numbers too large for a long saturate: "0-99999999999999999999" means "to the end".</item>
/// </list>
/// A valid single range that starts at or beyond the end, a zero suffix ("-0") and any range of empty content are
/// unsatisfiable (416).
/// </summary>
internal static class ByteRanges
{
    public static RangeDecision Evaluate(string? header, long length)
    {
        if (header is null)
        {
            return RangeDecision.Full;
        }
        var eq = header.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || !header.AsSpan(0, eq).Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return RangeDecision.Full;
        }

        var set = header.AsSpan(eq + 1);
        RangeDecision? single = null;
        var elements = 0;
        foreach (var part in set.Split(','))
        {
            var element = set[part].Trim(" \t");
            if (element.IsEmpty)
            {
                continue; // RFC 9110 §5.6.1.2: empty list elements are ignored
            }
            if (++elements > 1 || !TryParseSpec(element, length, out var decision))
            {
                return RangeDecision.Full; // a second range, or an invalid one: ignore the whole header
            }
            single = decision;
        }
        return single ?? RangeDecision.Full;
    }

    private static bool TryParseSpec(ReadOnlySpan<char> spec, long length, out RangeDecision decision)
    {
        decision = RangeDecision.Full;
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return false;
        }
        if (dash == 0)
        {
            // suffix-range: "-n", the last n bytes
            if (!TryParseDigits(spec[1..], out var suffix))
            {
                return false;
            }
            decision = suffix == 0 || length == 0
                ? RangeDecision.Unsatisfiable
                : new RangeDecision(RangeOutcome.Partial, Math.Max(0, length - suffix), length - 1);
            return true;
        }
        if (!TryParseDigits(spec[..dash], out var first))
        {
            return false;
        }
        var lastText = spec[(dash + 1)..];
        var last = long.MaxValue;
        if (!lastText.IsEmpty && (!TryParseDigits(lastText, out last) || last < first))
        {
            return false;
        }
        decision = first >= length
            ? RangeDecision.Unsatisfiable
            : new RangeDecision(RangeOutcome.Partial, first, Math.Min(last, length - 1));
        return true;
    }

    /// <summary>1*DIGIT, saturating at <see cref="long.MaxValue"/>.</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            var digit = c - '0';
            value = value > (long.MaxValue - digit) / 10 ? long.MaxValue : (value * 10) + digit;
        }
        return true;
    }
}
