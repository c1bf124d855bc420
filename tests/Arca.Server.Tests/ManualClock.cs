namespace Arca.Server.Tests;

/// <summary>
/// A clock the test sets. By default timers (long-poll waits, sweepers) still run on real time; with
/// <see cref="ManualTimers"/> they fire only when <see cref="Advance"/> moves the clock past their due time.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Timer> _timers = [];
    private long _ticks = start.UtcTicks;

    /// <summary>Timers created from now on fire on <see cref="Advance"/> instead of real time.</summary>
    public bool ManualTimers { get; init; }

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
    }

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (!ManualTimers)
        {
            return base.CreateTimer(callback, state, dueTime, period);
        }
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate)
        {
            _timers.Add(timer);
        }
        return timer;
    }

    /// <summary>Moves the clock forward and runs, on this thread and in due order, every manual timer that came due.</summary>
    public void Advance(TimeSpan by)
    {
        var target = Now + by;
        while (true)
        {
            Timer? next = null;
            lock (_gate)
            {
                foreach (var t in _timers)
                {
                    if (t.Due is { } due && due <= target && (next is null || due < next.Due))
                    {
                        next = t;
                    }
                }
            }
            if (next is null)
            {
                break;
            }
            if (next.Due > Now)
            {
                Now = next.Due.Value;
            }
            next.Fire();
        }
        Now = target;
    }

    private sealed class Timer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                _period = period;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.Now + dueTime;
            }
            return true;
        }

        public void Fire()
        {
            lock (clock._gate)
            {
                Due = _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan ? Due + _period : null;
            }
            callback(state);
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Due = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
