using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Arca.Cli;
using Arca.Client;
using Arca.Client.Pull;
using Arca.Client.Sync;
using Arca.Client.Transfer;

namespace Arca.Commands;

/// <summary><c>arca sync NAME@alias DIR</c>: keep DIR/current on the alias's version, flipping atomically.</summary>
internal static class SyncCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var reference = new Argument<string>("model") { Description = "NAME@ALIAS to follow" };
        var dir = new Argument<string>("dir") { Description = "directory holding versions/ and the current symlink" };
        var interval = new Option<string>("--interval") { Description = "how often to resolve the alias (e.g. 30s, 5m)", DefaultValueFactory = _ => "30s" };
        var keep = new Option<int>("--keep") { Description = "previous versions kept beyond the grace period", DefaultValueFactory = _ => 1 };
        var grace = new Option<string>("--grace") { Description = "how long every previous version stays (e.g. 15m)", DefaultValueFactory = _ => "15m" };
        var once = new Option<bool>("--once") { Description = "sync once and exit (for cron or a test)" };
        var streams = new Option<int>("--streams") { Description = "range requests per layer", DefaultValueFactory = _ => new PullOptions().Streams };
        var cmd = new Command("sync", "keep DIR/current on the version an alias points to (atomic flips, instant rollback)");
        cmd.Arguments.Add(reference);
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { interval, keep, grace, once, streams })
        {
            cmd.Options.Add(o);
        }
        client.AddTo(cmd);
        cmd.SetAction((result, ct) => Run.Guarded(async () =>
        {
            if (!ModelReference.TryParse(result.GetValue(reference)!, out var model) || model.Alias is null)
            {
                throw new ArcaClientException($"'{result.GetValue(reference)}' is not NAME@ALIAS", ExitCodes.Usage);
            }
            using var registry = client.Connect(result);
            var json = result.GetValue(client.Json);
            var syncer = new Syncer(registry, new SyncOptions
            {
                Reference = model,
                Directory = result.GetValue(dir)!,
                Interval = Duration(result.GetValue(interval)!, "--interval"),
                Keep = result.GetValue(keep),
                Grace = Duration(result.GetValue(grace)!, "--grace"),
                Pull = new PullOptions { Streams = result.GetValue(streams) },
            }, TimeProvider.System, e => Console.WriteLine(json
                ? new System.Text.Json.Nodes.JsonObject
                {
                    ["at"] = e.At.ToString("O", CultureInfo.InvariantCulture),
                    ["kind"] = e.Kind,
                    ["message"] = e.Message,
                    ["version"] = e.Version,
                    ["digest"] = e.Digest,
                }.ToJsonString()
                : $"{e.At:yyyy-MM-ddTHH:mm:ssZ} {e.Kind}: {e.Message}"));
            if (result.GetValue(once))
            {
                await syncer.SyncOnceAsync(ct);
                return ExitCodes.Ok;
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            await syncer.RunAsync(stop.Token);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Parses <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c> or plain seconds.</summary>
    internal static TimeSpan Duration(string text, string option)
    {
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsLetter(t[^1]) ? t[^1] : 's';
        var number = char.IsLetter(t[^1]) ? t[..^1] : t;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0)
        {
            throw new ArcaClientException($"{option} {text}: expected a duration such as 30s, 5m, 2h", ExitCodes.Usage);
        }
        return unit switch
        {
            's' => TimeSpan.FromSeconds(v),
            'm' => TimeSpan.FromMinutes(v),
            'h' => TimeSpan.FromHours(v),
            'd' => TimeSpan.FromDays(v),
            _ => throw new ArcaClientException($"{option} {text}: unit must be s, m, h or d", ExitCodes.Usage),
        };
    }
}
