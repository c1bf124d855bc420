using System.Collections.Concurrent;
using System.Security.Cryptography;
using Arca.Storage.Blobs;

namespace Arca.Server.Uploads;

/// <summary>
/// Open upload sessions. Sessions live in memory (a restart ends them; clients start over), each marked by a file in
/// <c>uploads/</c>; a session idle longer than the configured TTL is aborted and its spool removed.
/// </summary>
internal sealed class UploadSessionStore : IDisposable
{
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ChunkStore _chunks;
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly ITimer _sweeper;

    public UploadSessionStore(ChunkStore chunks, string directory, TimeProvider time, TimeSpan ttl)
    {
        _chunks = chunks;
        _directory = directory;
        _time = time;
        _ttl = ttl;
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true); // sessions of a previous process cannot be resumed
        }
        Directory.CreateDirectory(directory);
        var period = TimeSpan.FromSeconds(Math.Clamp(ttl.TotalSeconds / 4, 1, 60));
        _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    public int Count => _sessions.Count;

    public UploadSession Create()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var spool = Path.Combine(_directory, id);
        File.WriteAllText(spool, _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var session = new UploadSession(id, _chunks.OpenWriter(), spool, _time.GetUtcNow());
        _sessions[id] = session;
        return session;
    }

    public UploadSession? Get(string id) => _sessions.TryGetValue(id, out var s) ? s : null;

    /// <summary>Removes the session; the caller holds its gate.</summary>
    public void Remove(UploadSession session)
    {
        if (_sessions.TryRemove(session.Id, out _))
        {
            session.Writer.Dispose();
            try
            {
                File.Delete(session.SpoolPath);
            }
            catch (IOException)
            {
                // Removed at the next start anyway.
            }
        }
    }

    /// <summary>Aborts sessions idle longer than the TTL (one in use by a request is skipped).</summary>
    public int Sweep()
    {
        var cutoff = _time.GetUtcNow() - _ttl;
        var removed = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.LastActivity < cutoff && session.Gate.Wait(0))
            {
                try
                {
                    if (session.LastActivity < cutoff)
                    {
                        Remove(session);
                        removed++;
                    }
                }
                finally
                {
                    session.Gate.Release();
                }
            }
        }
        return removed;
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var session in _sessions.Values)
        {
            Remove(session);
        }
    }
}
