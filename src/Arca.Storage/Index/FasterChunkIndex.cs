using System.Collections.Concurrent;
using FASTER.core;

namespace Arca.Storage.Index;

/// <summary>
/// The chunk index in FASTER KV: blittable 32-byte keys and 16-byte values on the hybrid log, snapshot checkpoints in
/// <c>chunks/index/checkpoints</c>, recovered on open. FASTER sessions are single-threaded, so a small pool of them
/// serves concurrent callers.
/// </summary>
public sealed class FasterChunkIndex : IChunkIndex
{
    private readonly FasterKV<ChunkDigest, ChunkLocation> _store;
    private readonly IDevice _log;
    private readonly ConcurrentBag<ClientSession<ChunkDigest, ChunkLocation, ChunkLocation, ChunkLocation, Empty, SimpleFunctions<ChunkDigest, ChunkLocation>>> _sessions = [];
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);

    private FasterChunkIndex(string directory, bool recover)
    {
        Directory.CreateDirectory(directory);
        _log = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: false);
        _store = new FasterKV<ChunkDigest, ChunkLocation>(
            1L << 16, // 4 MiB of hash buckets; grows by overflow buckets, the log spills to disk beyond memory
            new LogSettings { LogDevice = _log, MemorySizeBits = 24, PageSizeBits = 20, SegmentSizeBits = 28 },
            new CheckpointSettings { CheckpointDir = Path.Combine(directory, "checkpoints"), RemoveOutdated = true },
            comparer: ChunkDigestComparer.Instance);
        if (recover && Directory.Exists(Path.Combine(directory, "checkpoints")))
        {
            try
            {
                _store.Recover();
                Recovered = true;
            }
            catch (FasterException)
            {
                // No complete checkpoint: start empty; ChunkStore re-indexes from the packs.
            }
        }
    }

    /// <summary>Whether a checkpoint was found and loaded.</summary>
    public bool Recovered { get; }

    public static FasterChunkIndex Open(string directory) => new(directory, recover: true);

    /// <summary>Deletes any existing index and starts empty (for <c>arca index rebuild</c>).</summary>
    public static FasterChunkIndex CreateEmpty(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        return new FasterChunkIndex(directory, recover: false);
    }

    public bool TryGet(in ChunkDigest digest, out ChunkLocation location)
    {
        var session = Rent();
        try
        {
            var key = digest;
            location = default;
            var status = session.Read(ref key, ref location);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        status = outputs.Current.Status;
                        location = outputs.Current.Output;
                    }
                }
            }
            return status.Found;
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    public void Put(in ChunkDigest digest, in ChunkLocation location)
    {
        var session = Rent();
        try
        {
            var key = digest;
            var value = location;
            var status = session.Upsert(ref key, ref value);
            if (status.IsPending)
            {
                session.CompletePending(wait: true);
            }
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    public void Delete(in ChunkDigest digest)
    {
        var session = Rent();
        try
        {
            var key = digest;
            if (session.Delete(ref key).IsPending)
            {
                session.CompletePending(wait: true);
            }
        }
        finally
        {
            _sessions.Add(session);
        }
    }

    public async Task CheckpointAsync()
    {
        await _checkpointGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _store.TakeFullCheckpointAsync(CheckpointType.Snapshot).ConfigureAwait(false);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    private ClientSession<ChunkDigest, ChunkLocation, ChunkLocation, ChunkLocation, Empty, SimpleFunctions<ChunkDigest, ChunkLocation>> Rent() =>
        _sessions.TryTake(out var s) ? s : _store.For(new SimpleFunctions<ChunkDigest, ChunkLocation>()).NewSession<SimpleFunctions<ChunkDigest, ChunkLocation>>();

    public async ValueTask DisposeAsync()
    {
        await CheckpointAsync().ConfigureAwait(false);
        while (_sessions.TryTake(out var s))
        {
            s.Dispose();
        }
        _store.Dispose();
        _log.Dispose();
        _checkpointGate.Dispose();
    }
}
