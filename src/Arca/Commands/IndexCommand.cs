using System.CommandLine;
using Arca.Cli;
using Arca.Client;
using Arca.Configuration;
using Arca.Storage.Blobs;
using Arca.Storage.Chunking;

namespace Arca.Commands;

/// <summary><c>arca index rebuild</c>: recreates the chunk index from the pack files alone (server stopped).</summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var flags = new ServerConfigFlags();
        var verify = new Option<bool>("--verify") { Description = "re-hash every chunk and leave out any whose bytes do not match" };
        var rebuild = new Command("rebuild", "discard the chunk index and rebuild it from chunks/shards/*.pack (stop the server first)");
        flags.AddTo(rebuild);
        rebuild.Options.Add(verify);
        rebuild.SetAction(async result =>
        {
            ArcaOptions options;
            try
            {
                options = ArcaOptions.From(flags.Load(result));
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync("arca: configuration error: " + e.Message);
                return ExitCodes.BadConfig;
            }
            var started = DateTime.UtcNow;
            try
            {
                await using var store = ChunkStore.Rebuild(new ChunkStoreOptions
                {
                    DataDir = options.DataDir,
                    Chunker = new ChunkerOptions(options.ChunkMinBytes, options.ChunkAvgBytes, options.ChunkMaxBytes),
                    PackSealBytes = options.PackSealBytes,
                    IndexMemoryBytes = options.IndexMemoryBytes,
                }, result.GetValue(verify), out var corrupt);
                Console.WriteLine($"rebuilt the chunk index of {options.DataDir}: {store.Reindexed} chunks in {store.Shards.PackCount} packs " +
                    $"({store.Shards.TotalBytes} bytes) in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
                if (corrupt > 0)
                {
                    await Console.Error.WriteLineAsync($"arca: {corrupt} chunks did not match their digest and were left out");
                    return ExitCodes.VerificationFailed;
                }
                return ExitCodes.Ok;
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync("arca: " + e.Message);
                return ExitCodes.Failure;
            }
        });
        var command = new Command("index", "maintain the chunk index");
        command.Subcommands.Add(rebuild);
        return command;
    }
}
