namespace Arca.Cli;

/// <summary>One record for humans: <c>label  value</c> lines with the values aligned; empty values are left out.</summary>
internal static class Fields
{
    public static void Write(TextWriter output, IEnumerable<(string Label, string Value)> fields, string indent = "")
    {
        var shown = fields.Where(f => f.Value.Length > 0).ToList();
        var width = shown.Count == 0 ? 0 : shown.Max(f => f.Label.Length);
        foreach (var (label, value) in shown)
        {
            output.WriteLine(indent + label.PadRight(width) + "  " + value);
        }
    }
}
