using System.CommandLine;
using System.Text.Json.Nodes;
using Arca.Cli;
using Arca.Client;
using Arca.Client.Push;
using Arca.Client.Transfer;

namespace Arca.Commands;

/// <summary><c>arca push PATH --model NAME …</c>: publish a directory or file as a new version.</summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var path = new Argument<string>("path") { Description = "a directory (one layer per file) or a single file" };
        var model = new Option<string>("--model", "-m") { Description = "model name, e.g. team/qa", Required = true };
        var framework = new Option<string?>("--framework") { Description = "e.g. pytorch, onnx, gguf" };
        var metric = new Option<string[]>("--metric") { Description = "k=v, a number (repeatable)" };
        var param = new Option<string[]>("--param") { Description = "k=v (repeatable)" };
        var tag = new Option<string[]>("--tag") { Description = "k=v (repeatable)" };
        var runId = new Option<string?>("--run-id") { Description = "link to an existing run" };
        var dataset = new Option<string?>("--dataset") { Description = "dataset version (records a new run)" };
        var commit = new Option<string?>("--commit") { Description = "code commit (records a new run)" };
        var image = new Option<string?>("--image") { Description = "container image digest (records a new run)" };
        var alias = new Option<string?>("--alias") { Description = "point this alias at the new version" };
        var parallel = new Option<int>("--parallel") { Description = "files uploaded at once", DefaultValueFactory = _ => 4 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "no progress output" };
        var cmd = new Command("push", "publish a model version: upload what the registry lacks, register, optionally alias");
        cmd.Arguments.Add(path);
        foreach (var o in new Option[] { model, framework, metric, param, tag, runId, dataset, commit, image, alias, parallel, quiet })
        {
            cmd.Options.Add(o);
        }
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (result.GetValue(runId) is not null && (result.GetValue(dataset) ?? result.GetValue(commit) ?? result.GetValue(image)) is not null)
            {
                throw new ArcaClientException("give either --run-id or --dataset/--commit/--image, not both", ExitCodes.Usage);
            }
            using var registry = client.Connect(result);
            var progress = new TransferProgress();
            var options = new PushOptions
            {
                Path = result.GetValue(path)!,
                Model = result.GetValue(model)!,
                Framework = result.GetValue(framework),
                Metrics = KeyValues.Numbers(result.GetValue(metric), "--metric"),
                Params = KeyValues.Parse(result.GetValue(param), "--param"),
                Tags = KeyValues.Parse(result.GetValue(tag), "--tag"),
                RunId = result.GetValue(runId),
                Dataset = result.GetValue(dataset),
                Commit = result.GetValue(commit),
                Image = result.GetValue(image),
                Alias = result.GetValue(alias),
                Parallel = result.GetValue(parallel),
            };
            PushResult pushed;
            await using (new ProgressDisplay(progress, "push " + options.Model, result.GetValue(quiet) || result.GetValue(client.Json)))
            {
                pushed = await new Pusher(registry, new ClientCache(), progress).PushAsync(options, ct);
            }
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(new JsonObject
                {
                    ["model"] = pushed.Model,
                    ["version"] = pushed.Version,
                    ["artifact_digest"] = pushed.ArtifactDigest,
                    ["created"] = pushed.Created,
                    ["layers"] = pushed.Layers,
                    ["layers_uploaded"] = pushed.LayersUploaded,
                    ["bytes_uploaded"] = pushed.BytesUploaded,
                    ["bytes_skipped"] = pushed.BytesSkipped,
                    ["alias"] = pushed.Alias,
                }.ToJsonString());
            }
            else
            {
                Console.WriteLine($"{pushed.Model}:{pushed.Version} {pushed.ArtifactDigest}" +
                    (pushed.Created ? "" : " (already registered)") + (pushed.Alias is { } a ? $" → @{a}" : ""));
                Console.Error.WriteLine($"{pushed.Layers} layers: {pushed.LayersUploaded} uploaded ({ProgressDisplay.Bytes(pushed.BytesUploaded)}), " +
                    $"{ProgressDisplay.Bytes(pushed.BytesSkipped)} already in the registry");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
