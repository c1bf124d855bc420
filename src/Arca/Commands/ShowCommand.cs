using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary>
/// <c>arca show NAME</c> (the model, its aliases and its latest version), <c>NAME:7</c> (one version, every field) or
/// <c>NAME@prod</c> (the version the alias points at).
/// </summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var reference = new Argument<string>("ref") { Description = "NAME, NAME:VERSION or NAME@ALIAS (e.g. team/qa@prod)" };
        var cmd = new Command("show", "show a model, a version, or what an alias points at");
        cmd.Arguments.Add(reference);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelRef.TryParse(result.GetValue(reference)!, out var model, out var error))
            {
                return Usage.Fail(error);
            }
            var json = result.GetValue(client.Json);
            using var registry = client.Connect(result);
            if (model.IsModelOnly)
            {
                return await ShowModelAsync(registry, model, json, ct);
            }
            var version = await model.GetVersionAsync(registry, ct);
            if (!version.IsSuccess)
            {
                return Run.Fail(version);
            }
            if (json)
            {
                Console.WriteLine(version.Body!.Value.GetRawText());
                return ExitCodes.Ok;
            }
            if (model.Alias is not null)
            {
                Console.WriteLine($"{model} → version {version.Body!.Value.GetProperty("version").GetInt64()}");
                Console.WriteLine();
            }
            WriteVersion(version.Body!.Value, "");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static async Task<int> ShowModelAsync(RegistryClient registry, ModelRef model, bool json, CancellationToken ct)
    {
        var response = await registry.SendAsync(HttpMethod.Get, model.ModelPath, ct: ct);
        if (!response.IsSuccess)
        {
            return Run.Fail(response);
        }
        var m = response.Body!.Value;
        var aliases = await registry.SendAsync(HttpMethod.Get, $"{model.ModelPath}/aliases", ct: ct);
        if (!aliases.IsSuccess)
        {
            return Run.Fail(aliases);
        }
        JsonElement? latest = null;
        var latestNumber = m.GetProperty("latest_version").GetInt64();
        if (latestNumber > 0)
        {
            var version = await registry.SendAsync(HttpMethod.Get,
                $"{model.ModelPath}/versions/{latestNumber.ToString(CultureInfo.InvariantCulture)}", ct: ct);
            if (!version.IsSuccess)
            {
                return Run.Fail(version);
            }
            latest = version.Body;
        }
        var aliasList = aliases.Body!.Value.GetProperty("aliases");
        if (json)
        {
            Console.WriteLine(JsonOutput.Object([("model", m), ("aliases", aliasList), ("latest_version", latest)]));
            return ExitCodes.Ok;
        }
        Fields.Write(Console.Out,
        [
            ("name", Cells.Text(m, "name")),
            ("owner", Cells.Text(m, "owner")),
            ("task", Cells.Text(m, "task_type")),
            ("description", Cells.Text(m, "description")),
            ("created", $"{Cells.Time(m, "created_at")} by {Cells.Text(m, "created_by")}"),
            ("updated", Cells.Time(m, "updated_at")),
            ("versions", latestNumber > 0 ? latestNumber.ToString(CultureInfo.InvariantCulture) : "none yet"),
        ]);
        Console.WriteLine();
        if (aliasList.GetArrayLength() == 0)
        {
            Console.WriteLine("no aliases");
        }
        else
        {
            Table.Write(Console.Out, ["ALIAS", "VERSION", "REVISION", "UPDATED", "BY"], [.. aliasList.EnumerateArray().Select(a => new[]
            {
                Cells.Text(a, "alias"),
                Cells.Text(a, "version"),
                Cells.Text(a, "revision"),
                Cells.Time(a, "updated_at"),
                Cells.Text(a, "updated_by"),
            })]);
        }
        if (latest is { } v)
        {
            Console.WriteLine();
            Console.WriteLine("latest version:");
            WriteVersion(v, "  ");
        }
        return ExitCodes.Ok;
    }

    private static void WriteVersion(JsonElement v, string indent) => Fields.Write(Console.Out,
    [
        ("model", Cells.Text(v, "model")),
        ("version", Cells.Text(v, "version")),
        ("digest", Cells.Text(v, "artifact_digest")),
        ("status", Cells.Text(v, "status")),
        ("framework", Cells.Text(v, "framework")),
        ("run", Cells.Text(v, "run_id")),
        ("metrics", Cells.Pairs(v, "metrics")),
        ("params", Cells.Pairs(v, "params")),
        ("tags", Cells.Pairs(v, "tags")),
        ("created", $"{Cells.Time(v, "created_at")} by {Cells.Text(v, "created_by")}"),
    ], indent);
}
