using Arca.Client.Pull;
using Arca.Client.Transfer;

namespace Arca.Client.Sync;

/// <summary>
/// Keeps <c>DIR/current</c> on the version an alias points to. A new version is pulled (verified) into
/// <c>DIR/versions/&lt;digest&gt;/</c> while the old one keeps serving, then <c>DIR/current</c>, a symlink, is replaced
/// atomically by rename(2): a reader sees the old version or the new one, never a mix. Previous versions are kept for
/// the grace period (and the last <see cref="SyncOptions.Keep"/> of them beyond it), so rolling back is a flip, not a
/// download. When the registry is unreachable the current version stays and attempts back off. The syncer's own
/// bookkeeping (when each version was retired) lives in <c>DIR/.arca/</c>, never inside a version directory a reader
/// may be listing.
/// </summary>
public sealed class Syncer(RegistryClient registry, SyncOptions options, TimeProvider time, Action<SyncEvent> log)
{
    private readonly string _root = Path.GetFullPath(options.Directory);

    private string VersionsDir => Path.Combine(_root, "versions");

    private string CurrentLink => Path.Combine(_root, "current");

    private string RetiredDir => Path.Combine(_root, ".arca", "retired");

    /// <summary>Holds the time (unix seconds) <c>versions/&lt;name&gt;</c> stopped being current.</summary>
    private string RetiredMarker(string name) => Path.Combine(RetiredDir, name);

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await SyncOnceAsync(ct);
                failures = 0;
                wait = options.Interval;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or ArcaClientException or IOException or TaskCanceledException)
            {
                failures++;
                var backoff = TimeSpan.FromTicks(Math.Min(options.MaxBackoff.Ticks, options.Interval.Ticks * (1L << Math.Min(failures, 16))));
                log(new SyncEvent(time.GetUtcNow(), "error", $"{e.Message}; keeping {CurrentName() ?? "nothing"}, retrying in {backoff.TotalSeconds:F0} s"));
                wait = backoff;
            }
            try
            {
                await Task.Delay(wait, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round: resolve, fetch if needed, flip, clean up. Returns true when <c>current</c> changed.</summary>
    public async Task<bool> SyncOnceAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(VersionsDir);
        Directory.CreateDirectory(RetiredDir);
        var puller = new Puller(registry, new TransferProgress());
        var artifact = await puller.ResolveAsync(options.Reference, ct);
        var name = DirectoryName(artifact.ArtifactDigest);
        var target = Path.Combine(VersionsDir, name);
        var flipped = false;
        if (CurrentName() != name)
        {
            if (!Directory.Exists(target))
            {
                log(new SyncEvent(time.GetUtcNow(), "fetch", $"fetching {artifact.Model}:{artifact.Version} into {target}",
                    artifact.Version, artifact.ArtifactDigest));
                var incoming = Path.Combine(VersionsDir, ".incoming-" + name);
                await puller.PullAsync(artifact, incoming, options.Pull, ct);
                Directory.Delete(Path.Combine(incoming, ".arca"), recursive: true);
                Directory.Move(incoming, target);
            }
            var previous = CurrentName();
            File.Delete(RetiredMarker(name));
            Flip(name);
            if (previous is not null && Directory.Exists(Path.Combine(VersionsDir, previous)))
            {
                File.WriteAllText(RetiredMarker(previous), time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            log(new SyncEvent(time.GetUtcNow(), "flip",
                $"{CurrentLink} → {artifact.Model}:{artifact.Version} ({artifact.ArtifactDigest})" + (previous is null ? "" : $", was {previous}"),
                artifact.Version, artifact.ArtifactDigest));
            flipped = true;
        }
        CollectGarbage();
        return flipped;
    }

    /// <summary>Points <c>current</c> at <c>versions/&lt;name&gt;</c> with one rename(2) over the old symlink.</summary>
    private void Flip(string name)
    {
        var temp = Path.Combine(_root, $".current.{Environment.ProcessId}.tmp");
        LibC.UnlinkIfPresent(temp);
        File.CreateSymbolicLink(temp, Path.Combine("versions", name));
        LibC.Rename(temp, CurrentLink);
    }

    /// <summary>The directory name under <c>versions/</c> that <c>current</c> points to, or null.</summary>
    public string? CurrentName()
    {
        var link = new FileInfo(CurrentLink).LinkTarget;
        return link is null ? null : Path.GetFileName(link.TrimEnd('/'));
    }

    private void CollectGarbage()
    {
        var current = CurrentName();
        var now = time.GetUtcNow();
        var retired = new List<(string Path, DateTimeOffset At)>();
        foreach (var dir in Directory.GetDirectories(VersionsDir))
        {
            var name = Path.GetFileName(dir);
            if (name == current)
            {
                continue;
            }
            if (name.StartsWith(".incoming-", StringComparison.Ordinal))
            {
                continue; // a fetch in progress or interrupted: the next pull resumes it
            }
            var marker = RetiredMarker(name);
            var at = File.Exists(marker) && long.TryParse(File.ReadAllText(marker), out var s)
                ? DateTimeOffset.FromUnixTimeSeconds(s)
                : now;
            if (!File.Exists(marker))
            {
                File.WriteAllText(marker, now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            retired.Add((dir, at));
        }
        foreach (var (dir, at) in retired.OrderByDescending(r => r.At).Skip(Math.Max(0, options.Keep)))
        {
            if (now - at >= options.Grace)
            {
                Directory.Delete(dir, recursive: true);
                File.Delete(RetiredMarker(Path.GetFileName(dir)));
                log(new SyncEvent(now, "remove", $"removed {dir} (previous version past its grace period)"));
            }
        }
    }

    public static string DirectoryName(string digest) => digest.Replace(':', '-');
}
