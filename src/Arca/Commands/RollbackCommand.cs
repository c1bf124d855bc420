using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary>
/// <c>arca rollback NAME --alias A</c>: move the alias back to the version it pointed at before its last move. A
/// second rollback therefore flips forward again. The move carries the current revision, so if someone moves the
/// alias meanwhile the rollback fails (exit 4) instead of clobbering their move.
/// </summary>
internal static class RollbackCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var name = new Argument<string>("name") { Description = "model name, e.g. team/qa" };
        var alias = new Option<string>("--alias", "-a") { Description = "alias to roll back, e.g. prod", Required = true };
        var reason = new Option<string?>("--reason") { Description = "why (default: \"rollback from vN\")" };
        var cmd = new Command("rollback", "move an alias back to its previous target");
        cmd.Arguments.Add(name);
        cmd.Options.Add(alias);
        cmd.Options.Add(reason);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelRef.TryParse(result.GetValue(name)!, out var model, out var error) || !model.IsModelOnly)
            {
                return Usage.Fail(error ?? "rollback takes a model name: arca rollback team/qa --alias prod");
            }
            var aliasName = result.GetValue(alias)!;
            using var registry = client.Connect(result);
            // The newest history entry is the move that made the current target; its from_version is what came before.
            var history = await registry.SendAsync(HttpMethod.Get, $"{model.ModelPath}/aliases/{aliasName}/history?limit=1", ct: ct);
            if (!history.IsSuccess)
            {
                return Run.Fail(history);
            }
            var moves = history.Body!.Value.GetProperty("history");
            if (moves.GetArrayLength() == 0)
            {
                Console.Error.WriteLine($"arca: {model.Name} has no alias '{aliasName}'");
                return ExitCodes.NotFound;
            }
            var last = moves[0];
            if (Version(last, "to_version") is not { } current)
            {
                Console.Error.WriteLine($"arca: {model.Name}@{aliasName} was deleted; promote a version to recreate it");
                return ExitCodes.NotFound;
            }
            if (Version(last, "from_version") is not { } previous)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"arca: {model.Name}@{aliasName} has pointed at version {current} since it was created; nothing to roll back to"));
                return ExitCodes.Failure;
            }
            var response = await AliasPointer.MoveAsync(registry, model.Name, aliasName, previous,
                result.GetValue(reason) ?? string.Create(CultureInfo.InvariantCulture, $"rollback from v{current}"),
                last.GetProperty("revision").GetInt64(), ct);
            if (!response.IsSuccess)
            {
                return AliasPointer.Fail(response, model.Name, aliasName);
            }
            AliasPointer.Report(response.Body!.Value, result.GetValue(client.Json));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static long? Version(JsonElement move, string property) =>
        move.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
}
