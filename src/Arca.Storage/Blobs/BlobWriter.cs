using System.Security.Cryptography;
using Arca.Storage.Chunking;
using Arca.Storage.Shards;

namespace Arca.Storage.Blobs;

/// <summary>
/// Streams one blob into the store: content-defined chunking, a SHA-256 per chunk and one over the whole blob
/// (computed on another core at the same time, so no second pass over the data), new chunks appended to a leased
/// pack, known ones skipped. Nothing is indexed until <see cref="CompleteAsync"/> has made the bytes durable.
/// </summary>
public sealed class BlobWriter : IDisposable
{
    private readonly ChunkStore _store;
    private readonly StreamingChunker _chunker;
    private readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<ChunkRef> _chunks = [];
    private readonly Dictionary<ChunkDigest, ChunkLocation> _pending = [];
    private readonly ChunkHandler _onChunk;
    private PackWriter? _pack;
    private long _newBytes;
    private ChunkDigest? _digest;
    private bool _disposed;

    internal BlobWriter(ChunkStore store, FastCdc cdc)
    {
        _store = store;
        _chunker = new StreamingChunker(cdc);
        _onChunk = OnChunk;
    }

    public long Length { get; private set; }

    /// <summary>The whole blob's digest once <see cref="CompleteAsync"/> has ended its input; null before.</summary>
    public ChunkDigest? Digest => _digest;

    /// <summary>Appends bytes. The caller must not reuse <paramref name="data"/> until the task completes.</summary>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> data)
    {
        ThrowIfEnded();
        if (data.Length < 256 * 1024)
        {
            _whole.AppendData(data.Span);
            _chunker.Append(data.Span, _onChunk);
        }
        else
        {
            var whole = Task.Run(() => _whole.AppendData(data.Span));
            _chunker.Append(data.Span, _onChunk);
            await whole.ConfigureAwait(false);
        }
        Length += data.Length;
    }

    /// <summary>
    /// Appends what <paramref name="source"/> yields, up to <paramref name="maxBytes"/>, reading ahead while earlier
    /// bytes are hashed and chunked on two other threads (<see cref="IngestPipeline"/>). A read error ends the stream
    /// and is returned, after every byte that did arrive was appended; a failure to store is thrown.
    /// </summary>
    public Task<StreamAppend> AppendFromAsync(Stream source, long? maxBytes, CancellationToken ct)
    {
        ThrowIfEnded();
        return IngestPipeline.RunAsync(this, source, maxBytes, ct);
    }

    internal void HashWhole(ReadOnlySpan<byte> data) => _whole.AppendData(data);

    internal void ChunkAndStore(ReadOnlySpan<byte> data) => _chunker.Append(data, _onChunk);

    internal void AddLength(long bytes) => Length += bytes;

    private void OnChunk(ReadOnlySpan<byte> chunk)
    {
        var digest = ChunkDigest.Of(chunk);
        _chunks.Add(new ChunkRef(digest, chunk.Length));
        if (_pending.ContainsKey(digest) || _store.Index.TryGet(digest, out _))
        {
            return;
        }
        _pack ??= _store.Shards.Lease();
        _pending[digest] = _pack.Append(digest, chunk);
        _newBytes += chunk.Length;
    }

    /// <summary>
    /// Ends the blob's input (the first call) and commits it. When <paramref name="expected"/> is given and differs
    /// from <see cref="Digest"/>, nothing is indexed and the result is null; the writer stays open, so a later call
    /// with the right digest still commits the same bytes, and disposing it aborts them (the written space is left
    /// for reclamation). Otherwise the chunks are durable and indexed on return, and the writer is disposed.
    /// </summary>
    public Task<IngestResult?> CompleteAsync(ChunkDigest? expected = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_digest is null)
        {
            _chunker.Complete(_onChunk);
            Span<byte> hash = stackalloc byte[32];
            _whole.GetHashAndReset(hash);
            _digest = new ChunkDigest(hash);
        }
        var digest = _digest.Value;
        if (expected is { } want && want != digest)
        {
            return Task.FromResult<IngestResult?>(null);
        }
        if (_pack is not null)
        {
            _pack.Flush();
            foreach (var (d, location) in _pending)
            {
                _store.Index.Put(d, location);
            }
            _store.NoteIndexed(_pending.Count);
        }
        var result = new IngestResult(digest, Length, _chunks.ToArray(), _newBytes, _pending.Count);
        Dispose();
        return Task.FromResult<IngestResult?>(result);
    }

    private void ThrowIfEnded()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_digest is not null)
        {
            throw new InvalidOperationException("the blob's input has ended (CompleteAsync ran); it takes no more bytes");
        }
    }

    /// <summary>Aborts the blob if it was not completed; always returns the leased pack.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _pack?.Dispose();
        _pack = null;
        _chunker.Dispose();
        _whole.Dispose();
    }
}
