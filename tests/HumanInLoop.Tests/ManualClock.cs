namespace HumanInLoop.Tests;

/// <summary>
/// A test clock that moves only when the test moves it. Timers fire then, on the thread that moved the clock, one at a time,
/// in order of when they fall due, each with the clock reading its own due time; a periodic timer keeps its schedule
/// (due, due + period, ...) whatever its callbacks and other threads do.
/// </summary>
/// <remarks>
/// Why not <c>FakeTimeProvider</c> here: it runs due timers on whichever thread reads or moves the clock first (a library thread
/// calling <c>GetUtcNow</c> included) and reschedules a periodic timer from the clock's reading after its callback. A test that
/// moves the clock while such a thread is inside a callback then shifts the claim's renewal schedule by however far it moved,
/// and a renewal the test waits for may only fall due after the clock it waits at: a test that fails once in a few hundred runs
/// on a loaded machine. Thread-safe.
/// </remarks>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Timer> _timers = [];
    private DateTimeOffset _now = start;
    private long _created;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        SetUtcNow(GetUtcNow() + delta);
    }

    /// <summary>Moves the clock forward to <paramref name="value"/>, firing every timer that falls due on the way.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        while (true)
        {
            Timer? due;
            lock (_gate)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(value, _now);
                due = null;
                foreach (Timer timer in _timers)
                {
                    if (timer.Due <= value && (due is null || timer.Due < due.Due || (timer.Due == due.Due && timer.Order < due.Order)))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    _now = value;
                    return;
                }

                _now = due.Due;
                if (due.Period > TimeSpan.Zero)
                {
                    due.Due += due.Period;
                }
                else
                {
                    _timers.Remove(due);
                }
            }

            due.Fire();
        }
    }

    /// <summary>
    /// Waits (in real time, up to 30 seconds) until a timer is set to fall due <paramref name="dueIn"/> from now: work that
    /// schedules itself (a periodic timer or a delay) has started, and the test may move the clock.
    /// </summary>
    public async Task WaitForTimerAsync(TimeSpan dueIn)
    {
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        while (!HasTimerDueIn(dueIn))
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private bool HasTimerDueIn(TimeSpan dueIn)
    {
        lock (_gate)
        {
            DateTimeOffset due = _now + dueIn;
            return _timers.Exists(timer => timer.Due == due);
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Timer timer = new(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class Timer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset Due { get; set; }

        public TimeSpan Period { get; private set; }

        public long Order { get; private set; }

        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                clock._timers.Remove(this);
                if (_disposed)
                {
                    return false;
                }

                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
                Due = clock._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                Order = ++clock._created;
                if (dueTime > TimeSpan.Zero)
                {
                    clock._timers.Add(this);
                    return true;
                }
            }

            // Due now: like a real timer, it fires at once on another thread; a periodic one then keeps its schedule.
            if (Period > TimeSpan.Zero)
            {
                lock (clock._gate)
                {
                    Due += Period;
                    clock._timers.Add(this);
                }
            }

            ThreadPool.UnsafeQueueUserWorkItem(static timer => timer.Fire(), this, preferLocal: false);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
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
