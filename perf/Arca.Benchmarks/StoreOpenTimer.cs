using System.Diagnostics;
using Arca.Storage.Blobs;
using Arca.Storage.Chunking;

namespace Arca.Benchmarks;

/// <summary>
/// How long a chunk store with millions of chunks takes to open (<c>dotnet run -c Release -- --store-open [GiB]</c>):
/// opening recovers the index checkpoint, then reads every pack's segment headers and looks up each entry, so it
/// scales with the chunk count. Tiny chunks (64 / 128 / 256 bytes) put millions of them in a small file: 0.5 GiB is
/// about 3.5 M chunks, a 3.5 TB store at the default 1 MiB average. Times opens after a crash and after a clean stop,
/// with the page cache dropped first (when root) and warm.
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
            // After a clean stop the open reads only what lies past the packs' recorded indexed ends (nothing here);
            // after a crash (no record) it reads every segment header and looks every entry up.
            foreach (var (cold, crashed) in new[] { (true, true), (true, true), (true, false), (true, false), (false, true), (false, false) })
            {
                if (crashed)
                {
                    File.Delete(Path.Combine(options.IndexDir, "indexed-ends"));
                }
                var dropped = cold && DropPageCache();
                var open = Stopwatch.StartNew();
                await using var store = ChunkStore.Open(options);
                Console.WriteLine($"open after a {(crashed ? "crash" : "clean stop")} ({(dropped ? "page cache dropped" : "warm")}): " +
                    $"{open.Elapsed.TotalSeconds:F2} s, {store.Scanned:N0} entries read from segment headers, {store.Reindexed} re-indexed");
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
