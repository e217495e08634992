namespace HumanInLoop.Internal;

/// <summary>The library's time: the configured <see cref="TimeProvider"/>, read in whole milliseconds.</summary>
internal sealed class ApprovalClock(TimeProvider provider)
{
    /// <summary>Gets the provider, for timers.</summary>
    public TimeProvider Provider { get; } = provider;

    /// <summary>Now, in whole milliseconds, so that every store (SQLite ticks, PostgreSQL microseconds) keeps times exactly.</summary>
    public DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(Provider.GetUtcNow().ToUnixTimeMilliseconds());
}
