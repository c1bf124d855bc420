using System.CommandLine;
using System.Text.Json;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary><c>arca lineage NAME:v</c> (or <c>NAME@a</c>): the version and the training run that produced it.</summary>
internal static class LineageCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var reference = new Argument<string>("ref") { Description = "NAME:VERSION or NAME@ALIAS (e.g. team/qa:7)" };
        var cmd = new Command("lineage", "show the run (data, code, image, hyperparameters) behind a version");
        cmd.Arguments.Add(reference);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelRef.TryParse(result.GetValue(reference)!, out var model, out var error) || model.IsModelOnly)
            {
                return Usage.Fail(error ?? "lineage takes a version: arca lineage team/qa:7 (or team/qa@prod)");
            }
            using var registry = client.Connect(result);
            var (version, failure) = await model.ResolveAsync(registry, ct);
            if (failure is not null)
            {
                return Run.Fail(failure);
            }
            var response = await registry.SendAsync(HttpMethod.Get, model.VersionPath(version) + "/lineage", ct: ct);
            if (!response.IsSuccess)
            {
                return Run.Fail(response);
            }
            var lineage = response.Body!.Value;
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(lineage.GetRawText());
                return ExitCodes.Ok;
            }
            Fields.Write(Console.Out,
            [
                ("model", Cells.Text(lineage, "model")),
                ("version", Cells.Text(lineage, "version")),
                ("digest", Cells.Text(lineage, "artifact_digest")),
            ]);
            if (!lineage.TryGetProperty("run", out var run) || run.ValueKind != JsonValueKind.Object)
            {
                Console.WriteLine("run: none recorded");
                return ExitCodes.Ok;
            }
            Console.WriteLine("run:");
            Fields.Write(Console.Out,
            [
                ("id", Cells.Text(run, "run_id")),
                ("dataset", Cells.Text(run, "dataset_version")),
                ("commit", Cells.Text(run, "code_commit")),
                ("image", Cells.Text(run, "container_image")),
                ("hyperparams", Cells.Pairs(run, "hyperparams")),
                ("started", Cells.Time(run, "started_at", seconds: true)),
                ("finished", Cells.Time(run, "finished_at", seconds: true)),
                ("recorded", $"{Cells.Time(run, "created_at")} by {Cells.Text(run, "created_by")}"),
            ], "  ");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
