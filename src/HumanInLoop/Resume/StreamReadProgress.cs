namespace HumanInLoop.Internal;

/// <summary>How long a streaming resume has gone unread: zero while an update is awaited, else the time since the last arrived.</summary>
internal sealed class StreamReadProgress(TimeProvider time)
{
    private long _lastArrival = time.GetTimestamp();
    private volatile bool _waiting;

    /// <summary>Gets or sets whether the reader is waiting for the next update (it counts as reading).</summary>
    public bool Waiting
    {
        get => _waiting;
        set => _waiting = value;
    }

    /// <summary>Gets how long nobody has asked for an update.</summary>
    public TimeSpan IdleFor => _waiting ? TimeSpan.Zero : time.GetElapsedTime(Interlocked.Read(ref _lastArrival));

    /// <summary>Notes that an update arrived and was handed to the reader.</summary>
    public void Arrived()
    {
        Interlocked.Exchange(ref _lastArrival, time.GetTimestamp());
        _waiting = false;
    }
}
