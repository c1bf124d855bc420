using System.CommandLine;
using Arca.Commands;

var root = new RootCommand("arca — model registry and artifact distribution (origin, seeder or edge cache)");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(IndexCommand.Create());
return await root.Parse(args).InvokeAsync();
