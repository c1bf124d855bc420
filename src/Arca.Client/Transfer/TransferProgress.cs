namespace Arca.Client.Transfer;

/// <summary>Byte counters of a push or pull, updated from many threads and read by a progress display.</summary>
public sealed class TransferProgress
{
    private long _done;
    private long _total;
    private long _skipped;

    public long Done => Interlocked.Read(ref _done);
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Bytes that did not need to move (already on the server, or already in place locally).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public void AddTotal(long bytes) => Interlocked.Add(ref _total, bytes);
    public void AddDone(long bytes) => Interlocked.Add(ref _done, bytes);
    public void AddSkipped(long bytes) => Interlocked.Add(ref _skipped, bytes);
}
