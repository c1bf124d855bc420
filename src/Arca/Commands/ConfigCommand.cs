using System.CommandLine;
using Arca.Cli;
using Arca.Client;
using Arca.Configuration;

namespace Arca.Commands;

/// <summary><c>arca config show</c>: the effective configuration and where each value came from.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var flags = new ServerConfigFlags();
        var show = new Command("show", "print the effective server configuration with the source of each value");
        flags.AddTo(show);
        show.SetAction(result =>
        {
            EffectiveConfig config;
            try
            {
                config = flags.Load(result);
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine("arca: configuration error: " + e.Message);
                return ExitCodes.BadConfig;
            }
            Console.WriteLine($"# file: {config.FilePath ?? "(none; defaults)"}");
            var rows = config.Settings.Select(s => new[] { s.Key.Name, s.Display, s.Origin }).ToList();
            if (config.GetString("data_dir").Length == 0)
            {
                rows.Add(["(data_dir in effect)", "\"" + ArcaOptions.DefaultDataDir() + "\"", "default"]);
            }
            Table.Write(Console.Out, ["KEY", "VALUE", "FROM"], rows);
            return ExitCodes.Ok;
        });
        var command = new Command("config", "inspect the server configuration");
        command.Subcommands.Add(show);
        return command;
    }
}
