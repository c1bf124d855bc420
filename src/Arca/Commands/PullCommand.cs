using System.CommandLine;
using System.Text.Json.Nodes;
using Arca.Cli;
using Arca.Client;
using Arca.Client.Pull;
using Arca.Client.Transfer;

namespace Arca.Commands;

/// <summary><c>arca pull NAME[@alias|:version] DIR</c>: fetch a version's files, verified, placed atomically.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var reference = new Argument<string>("model") { Description = "NAME (latest), NAME:7 or NAME@prod" };
        var dir = new Argument<string>("dir") { Description = "target directory" };
        var parallel = new Option<int>("--parallel") { Description = "layers fetched at once", DefaultValueFactory = _ => 4 };
        var streams = new Option<int>("--streams") { Description = "range requests per layer", DefaultValueFactory = _ => new PullOptions().Streams };
        var noChunks = new Option<bool>("--no-verify-chunks") { Description = "check only each file's sha256, not every chunk" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "no progress output" };
        var cmd = new Command("pull", "download a model version into DIR, verified (resumes an interrupted pull)");
        cmd.Arguments.Add(reference);
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { parallel, streams, noChunks, quiet })
        {
            cmd.Options.Add(o);
        }
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelReference.TryParse(result.GetValue(reference)!, out var model))
            {
                throw new ArcaClientException($"'{result.GetValue(reference)}' is not NAME, NAME:VERSION or NAME@ALIAS", ExitCodes.Usage);
            }
            using var registry = client.Connect(result);
            var progress = new TransferProgress();
            var puller = new Puller(registry, progress);
            var artifact = await puller.ResolveAsync(model, ct);
            PullResult pulled;
            await using (new ProgressDisplay(progress, $"pull {model.Model}:{artifact.Version}", result.GetValue(quiet) || result.GetValue(client.Json)))
            {
                pulled = await puller.PullAsync(artifact, result.GetValue(dir)!, new PullOptions
                {
                    Parallel = result.GetValue(parallel),
                    Streams = result.GetValue(streams),
                    VerifyChunks = !result.GetValue(noChunks),
                }, ct);
            }
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(new JsonObject
                {
                    ["model"] = pulled.Model,
                    ["version"] = pulled.Version,
                    ["artifact_digest"] = pulled.ArtifactDigest,
                    ["directory"] = pulled.Directory,
                    ["layers"] = pulled.Layers,
                    ["layers_fetched"] = pulled.LayersFetched,
                    ["bytes_fetched"] = pulled.BytesFetched,
                    ["bytes_in_place"] = pulled.BytesInPlace,
                }.ToJsonString());
            }
            else
            {
                Console.WriteLine($"{pulled.Model}:{pulled.Version} {pulled.ArtifactDigest} → {pulled.Directory} " +
                    $"({pulled.LayersFetched} of {pulled.Layers} files fetched, {ProgressDisplay.Bytes(pulled.BytesFetched)}; verified)");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
