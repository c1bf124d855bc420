using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Arca.Client.Transfer;

namespace Arca.Client.Pull;

/// <summary>
/// Downloads one layer into a partial file with parallel range requests and verifies it on the way: pieces are hashed
/// in order from memory as they arrive (no second pass over the data), each recipe chunk against its digest when the
/// recipe is known, and the whole file against the layer digest. Progress is kept in a <c>.state</c> file (the verified
/// prefix, rewritten after every verified piece), so a run after an interruption re-hashes that prefix from disk and
/// fetches only the rest.
/// </summary>
internal sealed class LayerDownloader(HttpClient http, RemoteLayer layer, string partialPath, PullOptions options,
    IReadOnlyList<(string Digest, long Offset, int Length)>? chunks, TransferProgress progress)
{
    private readonly string _statePath = partialPath + ".state";

    /// <summary>Downloads and verifies the layer; returns how many bytes were already verified on disk (resumed).</summary>
    public async Task<long> DownloadAsync(CancellationToken ct)
    {
        var prefix = ReadState();
        using var file = File.OpenHandle(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (RandomAccess.GetLength(file) < prefix)
        {
            prefix = 0;
        }
        RandomAccess.SetLength(file, layer.Size);
        var mapped = PieceBuffer.Reserve(file, layer.Size, partialPath) && options.MapFiles;
        var verifier = new StreamVerifier(chunks);
        if (prefix > 0)
        {
            await RehashPrefixAsync(file, prefix, verifier, ct);
            progress.AddDone(prefix);
            progress.AddSkipped(prefix);
        }

        var pieceBytes = options.PieceBytes;
        var first = prefix;
        var pieces = (int)((layer.Size - first + pieceBytes - 1) / pieceBytes);
        var window = Math.Max(2, options.Streams * 2);
        var completed = new Dictionary<int, PieceBuffer>();
        var gate = new SemaphoreSlim(window, window);
        var next = -1;
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashedSignal = new SemaphoreSlim(0);

        async Task Worker()
        {
            while (true)
            {
                await gate.WaitAsync(failure.Token);
                var index = Interlocked.Increment(ref next);
                if (index >= pieces)
                {
                    gate.Release();
                    return;
                }
                var start = first + (long)index * pieceBytes;
                var length = (int)Math.Min(pieceBytes, layer.Size - start);
                var piece = PieceBuffer.Create(file, mapped, start, length);
                try
                {
                    await FetchAsync(start, piece.Memory, failure.Token);
                    piece.Commit(file, start);
                }
                catch
                {
                    piece.Dispose(); // the fetch is over: nothing writes into it any more
                    throw;
                }
                progress.AddDone(length);
                lock (completed)
                {
                    completed[index] = piece;
                }
                hashedSignal.Release();
            }
        }

        async Task Hasher()
        {
            var written = first;
            var lastState = first;
            for (var index = 0; index < pieces; index++)
            {
                PieceBuffer? piece;
                while (true)
                {
                    lock (completed)
                    {
                        if (completed.Remove(index, out piece))
                        {
                            break;
                        }
                    }
                    await hashedSignal.WaitAsync(failure.Token);
                }
                // The chunk digests on another core while this one hashes the whole file: two SHA-256 passes over
                // every byte, side by side instead of one after the other.
                var bytes = piece.Memory;
                string? problem;
                try
                {
                    var chunkCheck = verifier.HasRecipe ? Task.Run(() => verifier.AppendChunks(bytes.Span)) : null;
                    verifier.AppendWhole(bytes.Span);
                    problem = chunkCheck is null ? null : await chunkCheck;
                }
                finally
                {
                    piece.Dispose();
                }
                gate.Release();
                if (problem is not null)
                {
                    throw new ArcaClientException($"{layer.Path}: {problem}; nothing was placed", ExitCodes.VerificationFailed);
                }
                written += bytes.Length;
                // The piece was written before it was queued here, so the whole verified prefix is on disk. A state
                // per piece (16 MiB by default) costs a tiny rename and bounds what an interruption throws away.
                if (written - lastState >= Math.Min(pieceBytes, 16 << 20))
                {
                    WriteState(written);
                    lastState = written;
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(options.Streams, Math.Max(1, pieces)))).Select(_ => Task.Run(Worker)).ToList();
        var hasher = Task.Run(Hasher);
        try
        {
            await Task.WhenAll(workers.Append(hasher)).WaitAsync(ct);
        }
        catch
        {
            await failure.CancelAsync();
            await Task.WhenAll(workers.Append(hasher)).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            foreach (var left in completed.Values)
            {
                left.Dispose();
            }
            var firstError = workers.Append(hasher).Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .OrderByDescending(e => e is ArcaClientException).FirstOrDefault();
            if (firstError is ArcaClientException verification && verification.ExitCode == ExitCodes.VerificationFailed)
            {
                file.Dispose();
                Discard();
            }
            if (firstError is not null)
            {
                throw firstError;
            }
            throw;
        }

        var actual = verifier.Finish();
        if (actual != layer.Digest)
        {
            file.Dispose();
            Discard();
            throw new ArcaClientException($"{layer.Path}: sha256 mismatch (expected {layer.Digest}, got {actual}); nothing was placed",
                ExitCodes.VerificationFailed);
        }
        RandomAccess.FlushToDisk(file);
        File.Delete(_statePath);
        return prefix;
    }

    private async Task FetchAsync(long start, Memory<byte> into, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, layer.Url);
                request.Headers.Range = new RangeHeaderValue(start, start + into.Length - 1);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode != HttpStatusCode.PartialContent)
                {
                    if ((int)response.StatusCode is >= 400 and < 500)
                    {
                        throw new ArcaClientException($"{layer.Path}: the data plane answered {(int)response.StatusCode} " +
                            (response.StatusCode == HttpStatusCode.Forbidden ? "(download URL expired? run again)" : ""),
                            ExitCodes.FromStatus((int)response.StatusCode));
                    }
                    throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
                }
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var filled = 0;
                while (filled < into.Length)
                {
                    var n = await body.ReadAsync(into[filled..], ct);
                    if (n == 0)
                    {
                        throw new HttpRequestException("the response ended early");
                    }
                    filled += n;
                }
                return;
            }
            catch (Exception e) when (attempt < 5 && e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << attempt)), ct);
            }
        }
    }

    private async Task RehashPrefixAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, long prefix, StreamVerifier verifier, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4 << 20);
        try
        {
            for (long at = 0; at < prefix;)
            {
                var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, prefix - at)), at, ct);
                if (n == 0)
                {
                    break;
                }
                if (verifier.Append(buffer.AsSpan(0, n)) is { } problem)
                {
                    throw new ArcaClientException($"{layer.Path}: partial download is corrupt ({problem}); removed it, run again",
                        ExitCodes.VerificationFailed);
                }
                at += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private long ReadState()
    {
        try
        {
            return File.Exists(_statePath) && long.TryParse(File.ReadAllText(_statePath), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                && v <= layer.Size ? v : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void WriteState(long verified)
    {
        var tmp = _statePath + ".tmp";
        File.WriteAllText(tmp, verified.ToString(CultureInfo.InvariantCulture));
        File.Move(tmp, _statePath, overwrite: true);
    }

    private void Discard()
    {
        File.Delete(partialPath);
        File.Delete(_statePath);
    }

    /// <summary>Hashes a blob in order: the whole-file SHA-256 and, with a recipe, each chunk's.</summary>
    private sealed class StreamVerifier(IReadOnlyList<(string Digest, long Offset, int Length)>? chunks)
    {
        private readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly IncrementalHash _chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private int _chunkIndex;
        private long _inChunk;

        public bool HasRecipe => chunks is not null;

        /// <summary>Both digests; <see cref="AppendWhole"/> and <see cref="AppendChunks"/> may also run side by side.</summary>
        public string? Append(ReadOnlySpan<byte> data)
        {
            AppendWhole(data);
            return AppendChunks(data);
        }

        public void AppendWhole(ReadOnlySpan<byte> data) => _whole.AppendData(data);

        /// <summary>Null, or what does not match.</summary>
        public string? AppendChunks(ReadOnlySpan<byte> data)
        {
            if (chunks is null)
            {
                return null;
            }
            while (data.Length > 0 && _chunkIndex < chunks.Count)
            {
                var (digest, offset, length) = chunks[_chunkIndex];
                var take = (int)Math.Min(data.Length, length - _inChunk);
                _chunk.AppendData(data[..take]);
                _inChunk += take;
                data = data[take..];
                if (_inChunk == length)
                {
                    var actual = "sha256:" + Convert.ToHexStringLower(_chunk.GetHashAndReset());
                    if (actual != digest)
                    {
                        return $"chunk {_chunkIndex} at offset {offset} does not match its digest {digest}";
                    }
                    _chunkIndex++;
                    _inChunk = 0;
                }
            }
            return null;
        }

        public string Finish() => "sha256:" + Convert.ToHexStringLower(_whole.GetHashAndReset());
    }
}
