using System.CommandLine;
using Arca.Commands;

var root = new RootCommand("arca — model registry and artifact distribution (origin, seeder or edge cache)");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(IndexCommand.Create());
root.Subcommands.Add(PushCommand.Create());
root.Subcommands.Add(PullCommand.Create());
root.Subcommands.Add(SyncCommand.Create());
// Everyday registry commands (promote, rollback, ls, show, diff, lineage, events).
root.Subcommands.Add(PromoteCommand.Create());
root.Subcommands.Add(RollbackCommand.Create());
root.Subcommands.Add(LsCommand.Create());
root.Subcommands.Add(ShowCommand.Create());
root.Subcommands.Add(DiffCommand.Create());
root.Subcommands.Add(LineageCommand.Create());
root.Subcommands.Add(EventsCommand.Create());
// SIGINT/SIGTERM cancel the running command's token (a server stops gracefully, a transfer leaves resumable state)
// instead of killing the process outright.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
