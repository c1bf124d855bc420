using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary>
/// <c>arca diff NAME A B</c>: metrics with deltas (B − A), changed params, tags and lineage, and when both artifacts
/// are stored, the files added, removed and changed and the bytes B shares with A. A and B are versions or aliases.
/// </summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var name = new Argument<string>("name") { Description = "model name, e.g. team/qa" };
        var a = new Argument<string>("a") { Description = "the version to compare from: a number or an alias name (prod)" };
        var b = new Argument<string>("b") { Description = "the version to compare to" };
        var cmd = new Command("diff", "compare two versions of a model");
        cmd.Arguments.Add(name);
        cmd.Arguments.Add(a);
        cmd.Arguments.Add(b);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelRef.TryParse(result.GetValue(name)!, out var model, out var error) || !model.IsModelOnly)
            {
                return Usage.Fail(error ?? "diff takes a model name and two versions: arca diff team/qa 3 prod");
            }
            if (!TryVersionRef(model, result.GetValue(a)!, out var refA, out error)
                || !TryVersionRef(model, result.GetValue(b)!, out var refB, out error))
            {
                return Usage.Fail(error!);
            }
            using var registry = client.Connect(result);
            var (versionA, failure) = await refA.ResolveAsync(registry, ct);
            if (failure is not null)
            {
                return Run.Fail(failure);
            }
            (var versionB, failure) = await refB.ResolveAsync(registry, ct);
            if (failure is not null)
            {
                return Run.Fail(failure);
            }
            var response = await registry.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture,
                $"{model.ModelPath}/compare?a={versionA}&b={versionB}"), ct: ct);
            if (!response.IsSuccess)
            {
                return Run.Fail(response);
            }
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(response.Body!.Value.GetRawText());
                return ExitCodes.Ok;
            }
            Write(Console.Out, response.Body!.Value, versionA, versionB);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>A side of the diff: <c>7</c> or <c>prod</c> (a leading <c>@</c> would be read as a response file).</summary>
    private static bool TryVersionRef(ModelRef model, string text, out ModelRef reference, out string? error)
    {
        var suffix = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? ":" + text : "@" + text;
        if (ModelRef.TryParse(model.Name + suffix, out var parsed, out error))
        {
            reference = parsed;
            return true;
        }
        reference = model;
        error = $"'{text}' is neither a version number nor an alias name";
        return false;
    }

    private static void Write(TextWriter output, JsonElement diff, long a, long b)
    {
        var va = a.ToString(CultureInfo.InvariantCulture);
        var vb = b.ToString(CultureInfo.InvariantCulture);
        output.WriteLine($"{Cells.Text(diff, "model")}: version {va} → version {vb}");

        var metrics = diff.GetProperty("metrics").EnumerateArray().ToList();
        output.WriteLine();
        if (metrics.Count == 0)
        {
            output.WriteLine("metrics: none recorded");
        }
        else
        {
            Table.Write(output, ["METRIC", va, vb, "DELTA"], [.. metrics.Select(m => new[]
            {
                Cells.Text(m, "key"),
                Metric(m, "a"),
                Metric(m, "b"),
                m.TryGetProperty("delta", out var d) && d.ValueKind == JsonValueKind.Number ? Cells.Delta(d.GetDouble()) : "-",
            })]);
        }
        foreach (var section in new[] { "params", "tags", "lineage" })
        {
            var changes = diff.GetProperty(section).EnumerateArray().Where(c => c.GetProperty("changed").GetBoolean()).ToList();
            output.WriteLine();
            output.WriteLine(changes.Count == 0 ? $"{section}: no changes" : $"{section}:");
            Fields.Write(output, changes.Select(c => (Cells.Text(c, "key"), $"{Side(c, "a")} → {Side(c, "b")}")), "  ");
        }
        if (diff.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Object)
        {
            WriteLayers(output, layers);
        }
    }

    private static void WriteLayers(TextWriter output, JsonElement layers)
    {
        var bytesB = layers.GetProperty("bytes_b").GetInt64();
        var shared = layers.GetProperty("bytes_shared").GetInt64();
        output.WriteLine();
        var percent = bytesB > 0
            ? string.Create(CultureInfo.InvariantCulture, $" ({100.0 * shared / bytesB:0.#}% of the new artifact)")
            : "";
        output.WriteLine($"layers: {Cells.Bytes(layers.GetProperty("bytes_a").GetInt64())} → {Cells.Bytes(bytesB)}, " +
            $"shared {Cells.Bytes(shared)}{percent}");
        var rows = new List<(string, string)>();
        rows.AddRange(layers.GetProperty("added").EnumerateArray()
            .Select(l => ("+ " + Cells.Text(l, "path"), Cells.Bytes(l.GetProperty("b_size").GetInt64()))));
        rows.AddRange(layers.GetProperty("removed").EnumerateArray()
            .Select(l => ("- " + Cells.Text(l, "path"), Cells.Bytes(l.GetProperty("a_size").GetInt64()))));
        rows.AddRange(layers.GetProperty("changed").EnumerateArray()
            .Select(l => ("~ " + Cells.Text(l, "path"),
                $"{Cells.Bytes(l.GetProperty("a_size").GetInt64())} → {Cells.Bytes(l.GetProperty("b_size").GetInt64())}")));
        Fields.Write(output, rows, "  ");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {layers.GetProperty("unchanged").GetInt32()} unchanged"));
    }

    private static string Metric(JsonElement m, string side) =>
        m.TryGetProperty(side, out var v) && v.ValueKind == JsonValueKind.Number ? Cells.Number(v.GetDouble()) : "-";

    private static string Side(JsonElement change, string side)
    {
        var text = change.TryGetProperty(side, out var v) ? Cells.Value(v) : "";
        return text.Length == 0 ? "(none)" : Cells.Truncate(Cells.ShortDigest(text), 60);
    }
}
