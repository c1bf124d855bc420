using System.Globalization;
using Arca.Client;
using Arca.Client.Transfer;

namespace Arca.Cli;

/// <summary>Parses repeated <c>k=v</c> options (<c>--metric f1=0.91 --param lr=3e-4</c>).</summary>
internal static class KeyValues
{
    public static Dictionary<string, string> Parse(IEnumerable<string>? pairs, string option)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArcaClientException($"{option} {pair}: expected key=value", ExitCodes.Usage);
            }
            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return result;
    }

    public static Dictionary<string, double> Numbers(IEnumerable<string>? pairs, string option)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in Parse(pairs, option))
        {
            result[k] = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d
                : throw new ArcaClientException($"{option} {k}={v}: the value must be a number", ExitCodes.Usage);
        }
        return result;
    }
}
