using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary><c>arca token create|list|revoke</c> through the API (needs an admin token).</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var command = new Command("token", "manage bearer tokens (admin)");
        command.Subcommands.Add(CreateToken());
        command.Subcommands.Add(ListTokens());
        command.Subcommands.Add(RevokeToken());
        return command;
    }

    private static Command CreateToken()
    {
        var client = new ClientOptions();
        var name = new Argument<string>("name") { Description = "a name that says who or what uses the token" };
        var roles = new Option<string[]>("--role", "-r")
        {
            Description = "read, write, promote or admin (repeatable; every role also reads)",
            Required = true,
        };
        var models = new Option<string>("--models", "-m") { Description = "model-name glob the token is scoped to", DefaultValueFactory = _ => "*" };
        var cmd = new Command("create", "create a token; its secret is printed once");
        cmd.Arguments.Add(name);
        cmd.Options.Add(roles);
        cmd.Options.Add(models);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            using var registry = client.Connect(result);
            var body = new JsonObject
            {
                ["name"] = result.GetValue(name),
                ["roles"] = new JsonArray([.. result.GetValue(roles)!.SelectMany(r => r.Split(',')).Select(r => (JsonNode?)JsonValue.Create(r.Trim()))]),
                ["models"] = result.GetValue(models),
            };
            var response = await registry.SendAsync(HttpMethod.Post, "/v1/tokens", body, ct: ct);
            if (!response.IsSuccess)
            {
                return Run.Fail(response);
            }
            var json = response.Body!.Value;
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(json.GetRawText());
            }
            else
            {
                Console.Error.WriteLine($"created token {json.GetProperty("id").GetString()} ({string.Join(',', json.GetProperty("roles").EnumerateArray().Select(r => r.GetString()))} on '{json.GetProperty("models").GetString()}'); store it now, it is not shown again:");
                Console.WriteLine(json.GetProperty("token").GetString());
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command ListTokens()
    {
        var client = new ClientOptions();
        var cmd = new Command("list", "list tokens (never their secrets)");
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            using var registry = client.Connect(result);
            var response = await registry.SendAsync(HttpMethod.Get, "/v1/tokens", ct: ct);
            if (!response.IsSuccess)
            {
                return Run.Fail(response);
            }
            var tokens = response.Body!.Value.GetProperty("tokens");
            if (result.GetValue(client.Json))
            {
                Console.WriteLine(tokens.GetRawText());
                return ExitCodes.Ok;
            }
            var rows = tokens.EnumerateArray().Select(t => new[]
            {
                t.GetProperty("id").GetString()!,
                t.GetProperty("name").GetString()!,
                string.Join(',', t.GetProperty("roles").EnumerateArray().Select(r => r.GetString())),
                t.GetProperty("models").GetString()!,
                t.GetProperty("created_at").GetDateTimeOffset().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                t.TryGetProperty("revoked_at", out var rev) && rev.ValueKind == JsonValueKind.String
                    ? "revoked " + rev.GetDateTimeOffset().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
                    : "active",
            }).ToList();
            Table.Write(Console.Out, ["ID", "NAME", "ROLES", "MODELS", "CREATED", "STATE"], rows);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command RevokeToken()
    {
        var client = new ClientOptions();
        var id = new Argument<string>("id") { Description = "token id (as listed)" };
        var cmd = new Command("revoke", "revoke a token at once");
        cmd.Arguments.Add(id);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            using var registry = client.Connect(result);
            var response = await registry.SendAsync(HttpMethod.Delete, "/v1/tokens/" + Uri.EscapeDataString(result.GetValue(id)!), ct: ct);
            if (!response.IsSuccess)
            {
                return Run.Fail(response);
            }
            Console.WriteLine(result.GetValue(client.Json) ? response.Body!.Value.GetRawText() : $"revoked {result.GetValue(id)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
