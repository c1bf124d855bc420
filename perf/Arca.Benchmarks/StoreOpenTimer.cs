using System.Diagnostics;
using Arca.Storage.Blobs;
using Arca.Storage.Chunking;

namespace Arca.Benchmarks;

/// <summary>
/// How long a chunk store with millions of chunks takes to open (<c>dotnet run -c Release -- --store-open [GiB]</c>):
/// opening recovers the index checkpoint, then reads every pack's segment headers and looks up each entry, so it
/// scales with the chunk count. Tiny chunks (64 / 128 / 256 bytes) put millions of them in a small file: 0.5 GiB is
/// about 4 M chunks, a 4 TB store at the default 1 MiB average. Times three opens with the page cache dropped first
/// (when root) and three warm ones.
/// </summary>
public static class StoreOpenTimer
{
    public static async Task RunAsync(double gib)
    {
        var dir = Path.Combine(Path.GetTempPath(), "arca-store-open-" + Environment.ProcessId);
        var options = new ChunkStoreOptions { DataDir = dir, Chunker = new ChunkerOptions(64, 128, 256) };
        try
        {
            var fill = Stopwatch.StartNew();
            long chunks = 0;
            await using (var store = ChunkStore.Open(options))
            {
                var random = new Random(1);
                var buffer = new byte[64 << 20];
                for (long done = 0; done < (long)(gib * (1L << 30)); done += buffer.Length)
                {
                    random.NextBytes(buffer);
                    using var writer = store.OpenWriter();
                    await writer.AppendAsync(buffer);
                    chunks += (await writer.CompleteAsync())!.Chunks.Count;
                }
            }
            Console.WriteLine($"filled {gib} GiB as {chunks:N0} chunks in {fill.Elapsed.TotalSeconds:F1} s");
            foreach (var cold in new[] { true, true, true, false, false, false })
            {
                var dropped = cold && DropPageCache();
                var open = Stopwatch.StartNew();
                await using var store = ChunkStore.Open(options);
                Console.WriteLine($"open ({(dropped ? "page cache dropped" : "warm")}): {open.Elapsed.TotalSeconds:F2} s, " +
                    $"{store.Shards.PackCount} packs, {store.Reindexed} entries re-indexed");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool DropPageCache()
    {
        try
        {
            using (var sync = Process.Start("sync")!)
            {
                sync.WaitForExit();
            }
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
