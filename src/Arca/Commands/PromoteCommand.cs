using System.CommandLine;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary><c>arca promote NAME VERSION --alias A [--reason R] [--if-revision REV]</c>: point an alias at a version.</summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var name = new Argument<string>("name") { Description = "model name, e.g. team/qa" };
        var version = new Argument<long>("version") { Description = "the version the alias should point at" };
        var alias = new Option<string>("--alias", "-a") { Description = "alias to move, e.g. prod", Required = true };
        var reason = new Option<string?>("--reason") { Description = "why (kept in the alias history and the audit log)" };
        var ifRevision = new Option<long?>("--if-revision")
        {
            Description = "move only if the alias is still at this revision (else exit 4 and nothing changes)",
        };
        var cmd = new Command("promote", "point an alias at a version (atomic, audited)");
        cmd.Arguments.Add(name);
        cmd.Arguments.Add(version);
        cmd.Options.Add(alias);
        cmd.Options.Add(reason);
        cmd.Options.Add(ifRevision);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelRef.TryParse(result.GetValue(name)!, out var model, out var error) || !model.IsModelOnly)
            {
                return Usage.Fail(error ?? "promote takes a model name and a version: arca promote team/qa 7 --alias prod");
            }
            var aliasName = result.GetValue(alias)!;
            using var registry = client.Connect(result);
            var response = await AliasPointer.MoveAsync(registry, model.Name, aliasName, result.GetValue(version),
                result.GetValue(reason), result.GetValue(ifRevision), ct);
            if (!response.IsSuccess)
            {
                return AliasPointer.Fail(response, model.Name, aliasName);
            }
            // Hook for --wait-warm URL…: once the alias has moved, wait here until each edge serves the new
            // artifact_digest (response.Body's "artifact_digest") before reporting success.
            AliasPointer.Report(response.Body!.Value, result.GetValue(client.Json));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
