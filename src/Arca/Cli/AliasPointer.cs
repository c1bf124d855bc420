using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arca.Client;

namespace Arca.Cli;

/// <summary>Moves an alias (promote and rollback alike) and reports the move.</summary>
internal static class AliasPointer
{
    /// <summary><c>PUT …/aliases/{alias}</c>; with <paramref name="ifRevision"/> the move only happens if no one moved it since.</summary>
    public static Task<RegistryResponse> MoveAsync(RegistryClient registry, string model, string alias, long version,
        string? reason, long? ifRevision, CancellationToken ct)
    {
        var body = new JsonObject { ["version"] = version };
        if (reason is not null)
        {
            body["reason"] = reason;
        }
        var headers = ifRevision is { } rev
            ? new Dictionary<string, string> { ["If-Match"] = "\"" + rev.ToString(CultureInfo.InvariantCulture) + "\"" }
            : null;
        return registry.SendAsync(HttpMethod.Put, $"{ModelRef.PathOf(model)}/aliases/{alias}", body, headers, ct);
    }

    /// <summary>The failed move's problem, plus what to do when the alias moved under us (412).</summary>
    public static int Fail(RegistryResponse response, string model, string alias)
    {
        var exit = Run.Fail(response);
        if (response.Status == 412)
        {
            Console.Error.WriteLine(
                $"arca: {model}@{alias} was moved by someone else; nothing changed. Check it with 'arca show {model}' and retry.");
        }
        return exit;
    }

    /// <summary>Prints <c>team/qa@prod → version 7 (revision 12)</c>, or the server's JSON.</summary>
    public static void Report(JsonElement target, bool json)
    {
        if (json)
        {
            Console.WriteLine(target.GetRawText());
            return;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.GetProperty("model").GetString()}@{target.GetProperty("alias").GetString()} → version {target.GetProperty("version").GetInt64()} (revision {target.GetProperty("revision").GetInt64()})"));
    }
}
