namespace Arca.DataPlane;

/// <summary>Content made of chunks that may still be on their way (a tier filling from its upstream).</summary>
public interface IContentFill
{
    /// <summary>Start offsets of the chunks in the content, ascending; the first is 0.</summary>
    IReadOnlyList<long> ChunkStarts { get; }

    /// <summary>
    /// Waits until chunk <paramref name="index"/> is held and verified, pins it (it is not evicted until
    /// <see cref="Release"/>) and returns where its bytes are. Throws when it cannot be had within the source's
    /// timeout; the response then ends short (the connection closes), never with wrong bytes.
    /// </summary>
    ValueTask<ContentExtent> AcquireAsync(int index, CancellationToken ct);

    /// <summary>Unpins a chunk returned by <see cref="AcquireAsync"/>.</summary>
    void Release(int index);
}
