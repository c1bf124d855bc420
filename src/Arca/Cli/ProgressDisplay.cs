using System.Diagnostics;
using Arca.Client.Transfer;

namespace Arca.Cli;

/// <summary>
/// Shows a transfer: on a terminal, one line redrawn (bytes, rate, ETA); otherwise a plain line every few seconds,
/// which reads well in CI logs and journald.
/// </summary>
internal sealed class ProgressDisplay : IAsyncDisposable
{
    private readonly TransferProgress _progress;
    private readonly string _label;
    private readonly bool _tty = !Console.IsErrorRedirected;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _loop;
    private readonly bool _quiet;

    public ProgressDisplay(TransferProgress progress, string label, bool quiet)
    {
        _progress = progress;
        _label = label;
        _quiet = quiet;
        _loop = quiet ? Task.CompletedTask : Task.Run(Loop);
    }

    private async Task Loop()
    {
        var period = TimeSpan.FromMilliseconds(_tty ? 200 : 5000);
        try
        {
            while (true)
            {
                await Task.Delay(period, _stop.Token);
                Draw(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Finished.
        }
    }

    private void Draw(bool final)
    {
        var done = _progress.Done;
        var total = Math.Max(_progress.Total, done);
        var moved = done - _progress.Skipped;
        var seconds = Math.Max(0.001, _clock.Elapsed.TotalSeconds);
        var rate = moved / seconds;
        var eta = rate > 0 && total > done ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
        var pct = total > 0 ? 100.0 * done / total : 100;
        var line = $"{_label}  {Bytes(done)} / {Bytes(total)}  {pct,5:F1}%  {Bytes((long)rate)}/s  ETA {eta:hh\\:mm\\:ss}";
        if (_tty)
        {
            var width = 30;
            var filled = (int)(width * pct / 100);
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {line}   ");
            if (final)
            {
                Console.Error.WriteLine();
            }
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} B" : $"{v:F1} {units[u]}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        if (!_quiet)
        {
            Draw(final: true);
        }
        _stop.Dispose();
    }
}
