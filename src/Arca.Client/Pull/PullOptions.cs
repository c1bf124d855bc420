namespace Arca.Client.Pull;

/// <summary>How <c>arca pull</c> fetches.</summary>
public sealed record PullOptions
{
    /// <summary>Layers downloaded at the same time.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>Concurrent range requests per layer.</summary>
    public int Streams { get; init; } = 8;

    /// <summary>Bytes per range request.</summary>
    public int PieceBytes { get; init; } = 16 << 20;

    /// <summary>
    /// Receive into mapped windows of the file (one copy into the page cache) rather than a buffer written with
    /// <c>pwrite</c>; <c>ARCA_PULL_MMAP=0</c> turns it off for file systems where shared writable mappings misbehave.
    /// </summary>
    public bool MapFiles { get; init; } = System.Environment.GetEnvironmentVariable("ARCA_PULL_MMAP") != "0";

    /// <summary>Also check every chunk against the blob's recipe as it arrives (pinpoints a corrupt range).</summary>
    public bool VerifyChunks { get; init; } = true;
}
