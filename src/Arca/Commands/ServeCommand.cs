using System.CommandLine;
using System.Runtime.InteropServices;
using Arca.Cli;
using Arca.Client;
using Arca.Configuration;
using Arca.Server;

namespace Arca.Commands;

/// <summary><c>arca serve</c>: runs the server in the configured mode until SIGINT/SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var flags = new ServerConfigFlags();
        var command = new Command("serve", "run an origin (or, with --mode, a seeder or edge cache)");
        flags.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            ArcaOptions options;
            try
            {
                options = ArcaOptions.From(flags.Load(result));
                options.Validate();
                ControlPlane.ParseEndpoint(options.ControlListen, "server.control_listen");
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync("arca: configuration error: " + e.Message);
                return ExitCodes.BadConfig;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            ControlPlane plane;
            try
            {
                plane = await ControlPlane.StartAsync(options, ct: stop.Token);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"arca: cannot start: {e.Message}");
                return ExitCodes.Failure;
            }
            catch (UnauthorizedAccessException e)
            {
                await Console.Error.WriteLineAsync($"arca: cannot start: {e.Message}");
                return ExitCodes.Failure;
            }
            await using (plane)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // SIGINT or SIGTERM: stop gracefully.
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
