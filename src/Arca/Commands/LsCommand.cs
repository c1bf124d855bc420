using System.CommandLine;
using System.Globalization;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary><c>arca ls</c> lists models; <c>arca ls NAME</c> lists a model's versions with the aliases that point at them.</summary>
internal static class LsCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var name = new Argument<string?>("name") { Description = "a model, to list its versions", Arity = ArgumentArity.ZeroOrOne };
        var filter = new Option<string?>("--filter")
        {
            Description = "versions only: e.g. metrics.f1>0.8,params.lr=3e-4,created_by=ci (= != < <= > >=)",
        };
        var sort = new Option<string?>("--sort") { Description = "versions only: [-]version, [-]created_at or [-]metrics.<key>" };
        var tags = new Option<string[]>("--tag") { Description = "versions only: tag k:v the versions must carry (repeatable)" };
        var limit = new Option<int>("--limit")
        {
            Description = "versions only: how many to list",
            DefaultValueFactory = _ => 50,
        };
        var cmd = new Command("ls", "list models, or the versions of one model");
        cmd.Arguments.Add(name);
        cmd.Options.Add(filter);
        cmd.Options.Add(sort);
        cmd.Options.Add(tags);
        cmd.Options.Add(limit);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            var json = result.GetValue(client.Json);
            if (result.GetValue(name) is not { } text)
            {
                using var registry = client.Connect(result);
                return await ListModelsAsync(registry, json, ct);
            }
            if (!ModelRef.TryParse(text, out var model, out var error) || !model.IsModelOnly)
            {
                return Usage.Fail(error ?? "ls takes a model name; use 'arca show' for one version");
            }
            if (result.GetValue(limit) < 1)
            {
                return Usage.Fail("--limit must be at least 1");
            }
            var query = new List<string>();
            if (result.GetValue(filter) is { Length: > 0 } f)
            {
                query.Add("filter=" + Uri.EscapeDataString(f));
            }
            if (result.GetValue(sort) is { Length: > 0 } s)
            {
                query.Add("sort=" + Uri.EscapeDataString(s));
            }
            query.AddRange((result.GetValue(tags) ?? []).Select(t => "tag=" + Uri.EscapeDataString(t)));
            using (var registry = client.Connect(result))
            {
                return await ListVersionsAsync(registry, model, string.Join('&', query), result.GetValue(limit), json, ct);
            }
        }));
        return cmd;
    }

    private static async Task<int> ListModelsAsync(RegistryClient registry, bool json, CancellationToken ct)
    {
        var models = await Pages.ReadAsync(registry, "/v1/models", "models", int.MaxValue, ct);
        if (models.Failure is { } failure)
        {
            return Run.Fail(failure);
        }
        if (json)
        {
            Console.WriteLine(JsonOutput.Array(models.Items));
            return ExitCodes.Ok;
        }
        var rows = models.Items.Select(m => new[]
        {
            Cells.Text(m, "name"),
            m.GetProperty("latest_version").GetInt64() is var latest and > 0 ? latest.ToString(CultureInfo.InvariantCulture) : "-",
            Cells.Text(m, "owner"),
            Cells.Text(m, "task_type"),
            Cells.Time(m, "updated_at"),
        }).ToList();
        Table.Write(Console.Out, ["NAME", "LATEST", "OWNER", "TASK", "UPDATED"], rows);
        return ExitCodes.Ok;
    }

    private static async Task<int> ListVersionsAsync(RegistryClient registry, ModelRef model, string query, int limit,
        bool json, CancellationToken ct)
    {
        var versions = await Pages.ReadAsync(registry, $"{model.ModelPath}/versions" + (query.Length > 0 ? "?" + query : ""),
            "versions", limit, ct);
        if (versions.Failure is { } failure)
        {
            return Run.Fail(failure);
        }
        if (json)
        {
            Console.WriteLine(JsonOutput.Array(versions.Items));
            return ExitCodes.Ok;
        }
        var aliases = await registry.SendAsync(HttpMethod.Get, $"{model.ModelPath}/aliases", ct: ct);
        if (!aliases.IsSuccess)
        {
            return Run.Fail(aliases);
        }
        var aliasesByVersion = aliases.Body!.Value.GetProperty("aliases").EnumerateArray()
            .GroupBy(a => a.GetProperty("version").GetInt64())
            .ToDictionary(g => g.Key, g => string.Join(' ', g.Select(a => "@" + a.GetProperty("alias").GetString())));
        var rows = versions.Items.Select(v => new[]
        {
            v.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture),
            aliasesByVersion.GetValueOrDefault(v.GetProperty("version").GetInt64(), ""),
            Cells.ShortDigest(Cells.Text(v, "artifact_digest")),
            Cells.Text(v, "framework"),
            Cells.Truncate(Cells.Pairs(v, "metrics"), 60),
            Cells.Time(v, "created_at"),
            Cells.Text(v, "created_by"),
        }).ToList();
        if (rows.Count == 0)
        {
            Console.Error.WriteLine(query.Length > 0 ? $"no version of {model.Name} matches" : $"{model.Name} has no versions yet");
            return ExitCodes.Ok;
        }
        Table.Write(Console.Out, ["VERSION", "ALIASES", "DIGEST", "FRAMEWORK", "METRICS", "CREATED", "BY"], rows);
        var listed = versions.Items.Select(v => v.GetProperty("version").GetInt64()).ToHashSet();
        var elsewhere = aliasesByVersion.Where(p => !listed.Contains(p.Key))
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value} → {p.Key}")).ToList();
        if (elsewhere.Count > 0)
        {
            Console.WriteLine("aliases on versions not listed: " + string.Join(", ", elsewhere));
        }
        if (versions.More)
        {
            Console.Error.WriteLine($"(first {limit}; --limit N lists more)");
        }
        return ExitCodes.Ok;
    }
}
