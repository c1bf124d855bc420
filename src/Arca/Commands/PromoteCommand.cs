using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary>
/// <c>arca promote NAME VERSION --alias A [--reason R] [--if-revision REV] [--wait-warm URL…]</c>: point an alias at a
/// version; with <c>--wait-warm</c>, first have the listed seeders/edges fetch it and wait until each holds all of it.
/// </summary>
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
        var waitWarm = new Option<string[]>("--wait-warm")
        {
            Description = "tiers (seeder/edge control URLs) that must hold the version before the alias moves; they are asked to pre-warm it",
            AllowMultipleArgumentsPerToken = true,
        };
        var warmTimeout = new Option<int>("--warm-timeout")
        {
            Description = "seconds to wait for --wait-warm tiers before giving up (the alias then stays where it is)",
            DefaultValueFactory = _ => 3600,
        };
        var cmd = new Command("promote", "point an alias at a version (atomic, audited)");
        cmd.Options.Add(waitWarm);
        cmd.Options.Add(warmTimeout);
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
            var tiers = result.GetValue(waitWarm) ?? [];
            if (tiers.Length > 0)
            {
                var warmed = await WaitWarmAsync(client, result, tiers, model.Name, result.GetValue(version),
                    TimeSpan.FromSeconds(result.GetValue(warmTimeout)), ct);
                if (warmed != ExitCodes.Ok)
                {
                    return warmed;
                }
            }
            using var registry = client.Connect(result);
            var response = await AliasPointer.MoveAsync(registry, model.Name, aliasName, result.GetValue(version),
                result.GetValue(reason), result.GetValue(ifRevision), ct);
            if (!response.IsSuccess)
            {
                return AliasPointer.Fail(response, model.Name, aliasName);
            }
            AliasPointer.Report(response.Body!.Value, result.GetValue(client.Json));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Asks every tier to pre-warm the version, then polls their status until all hold it completely.</summary>
    private static async Task<int> WaitWarmAsync(ClientOptions client, ParseResult result, string[] tiers, string model, long version,
        TimeSpan timeout, CancellationToken ct)
    {
        var registries = tiers.Select(url => (Url: url, Registry: client.Connect(result, url))).ToList();
        try
        {
            var body = new JsonObject { ["model"] = model, ["version"] = version };
            foreach (var (url, registry) in registries)
            {
                var started = await registry.SendAsync(HttpMethod.Post, "v1/prewarm", body, ct: ct);
                if (!started.IsSuccess)
                {
                    await Console.Error.WriteLineAsync($"arca: {url} cannot pre-warm {model}:{version}: {started.ErrorMessage}; the alias was not moved");
                    return ExitCodes.FromStatus(started.Status);
                }
            }
            var deadline = DateTimeOffset.UtcNow + timeout;
            var path = $"v1/tier/status?model={Uri.EscapeDataString(model)}&version={version.ToString(CultureInfo.InvariantCulture)}";
            var lastReport = DateTimeOffset.MinValue;
            while (true)
            {
                var pending = new List<string>();
                foreach (var (url, registry) in registries)
                {
                    var status = await registry.SendAsync(HttpMethod.Get, path, ct: ct);
                    if (!status.IsSuccess || status.Body is not { } json)
                    {
                        pending.Add($"{url}: {status.ErrorMessage}");
                        continue;
                    }
                    var v = json.GetProperty("versions")[0];
                    if (!v.GetProperty("warm").GetBoolean())
                    {
                        pending.Add($"{url}: {v.GetProperty("held_bytes").GetInt64():N0} of {v.GetProperty("bytes").GetInt64():N0} bytes");
                    }
                }
                if (pending.Count == 0)
                {
                    await Console.Error.WriteLineAsync($"arca: {model}:{version} is warm at {registries.Count} tier(s)");
                    return ExitCodes.Ok;
                }
                if (DateTimeOffset.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync($"arca: not warm after {timeout.TotalSeconds:0} s ({string.Join("; ", pending)}); the alias was not moved");
                    return ExitCodes.Failure;
                }
                if (DateTimeOffset.UtcNow - lastReport > TimeSpan.FromSeconds(5))
                {
                    lastReport = DateTimeOffset.UtcNow;
                    await Console.Error.WriteLineAsync("arca: waiting for " + string.Join("; ", pending));
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
        finally
        {
            foreach (var (_, registry) in registries)
            {
                registry.Dispose();
            }
        }
    }
}
