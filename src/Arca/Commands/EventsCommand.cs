using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Arca.Cli;
using Arca.Client;

namespace Arca.Commands;

/// <summary>
/// <c>arca events [--after N] [--follow]</c>: the durable event log, one line per event (NDJSON with <c>--json</c>).
/// Without <c>--follow</c> it prints what is there and exits; with it, it long-polls until Ctrl-C (exit 0).
/// </summary>
internal static class EventsCommand
{
    private const int WaitSeconds = 30;

    public static Command Create()
    {
        var client = new ClientOptions();
        var follow = new Option<bool>("--follow", "-f") { Description = "keep waiting for new events until Ctrl-C" };
        var after = new Option<long>("--after") { Description = "start after this sequence number (default 0: from the start)" };
        var cmd = new Command("events", "print the event log (model, version, run and alias changes)");
        cmd.Options.Add(follow);
        cmd.Options.Add(after);
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (result.GetValue(after) < 0)
            {
                return Usage.Fail("--after must be 0 or more");
            }
            var json = result.GetValue(client.Json);
            var following = result.GetValue(follow);
            var next = result.GetValue(after);
            using var registry = client.Connect(result);
            // Following ends on Ctrl-C or SIGTERM, which is how it is meant to end: exit 0, not 130/143.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = following ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop) : null;
            using var sigterm = following ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) : null;
            try
            {
                while (true)
                {
                    var response = await registry.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture,
                        $"/v1/events?after={next}&limit=1000&wait={(following ? WaitSeconds : 0)}"), ct: stop.Token);
                    if (!response.IsSuccess)
                    {
                        return Run.Fail(response);
                    }
                    var body = response.Body!.Value;
                    var events = body.GetProperty("events");
                    foreach (var e in events.EnumerateArray())
                    {
                        Console.WriteLine(json ? JsonOutput.Line(e) : Line(e));
                    }
                    // "next" also moves past events the token may not see, so they are not asked for again.
                    var moved = body.GetProperty("next").GetInt64();
                    if (!following && moved == next)
                    {
                        return ExitCodes.Ok;
                    }
                    next = moved;
                }
            }
            catch (Exception e) when ((e is OperationCanceledException or HttpRequestException) && stop.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }

            void Stop(PosixSignalContext signal)
            {
                signal.Cancel = true;
                stop.Cancel();
            }
        }));
        return cmd;
    }

    /// <summary><c>seq  time  type  model  summary</c>.</summary>
    private static string Line(JsonElement e)
    {
        var model = Cells.Text(e, "model");
        return string.Join("  ",
            Cells.Text(e, "seq").PadLeft(6),
            Cells.Time(e, "at", seconds: true),
            Cells.Text(e, "type").PadRight(18),
            (model.Length > 0 ? model : "-").PadRight(20),
            Summary(Cells.Text(e, "type"), e.TryGetProperty("payload", out var p) ? p : default)).TrimEnd();
    }

    private static string Summary(string type, JsonElement p)
    {
        if (p.ValueKind != JsonValueKind.Object)
        {
            return p.ValueKind == JsonValueKind.Undefined ? "" : Cells.Truncate(JsonOutput.Line(p), 80);
        }
        var summary = type switch
        {
            "alias.moved" => $"@{Cells.Text(p, "alias")} {Or(Cells.Text(p, "from_version"), "(new)")} → {Cells.Text(p, "to_version")}"
                + Reason(p),
            "alias.deleted" => $"@{Cells.Text(p, "alias")} deleted (was {Cells.Text(p, "from_version")})" + Reason(p),
            "version.registered" => $"version {Cells.Text(p, "version")} {Cells.ShortDigest(Cells.Text(p, "artifact_digest"))}"
                + $" by {Cells.Text(p, "created_by")}",
            "run.created" => $"run {Cells.Text(p, "run_id")}" + Prefixed(" dataset ", Cells.Text(p, "dataset_version"))
                + Prefixed(" commit ", Cells.Text(p, "code_commit")),
            "token.revoked" => $"token {Cells.Text(p, "id")} ({Cells.Text(p, "name")}) revoked",
            "model.created" or "model.updated" => Or(
                string.Join(' ', new[] { ("owner", "owner"), ("task", "task_type") }
                    .Select(f => (f.Item1, Value: Cells.Text(p, f.Item2))).Where(f => f.Value.Length > 0)
                    .Select(f => f.Item1 + "=" + f.Value)),
                ""),
            _ => JsonOutput.Line(p),
        };
        return Cells.Truncate(summary, 100);
    }

    private static string Reason(JsonElement p) => Prefixed(" — ", Cells.Text(p, "reason"));

    private static string Prefixed(string prefix, string value) => value.Length > 0 ? prefix + value : "";

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;
}
