using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>Bounded waiting: polls a condition in real time (at most a few seconds), optionally moving fake time on each round.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, FakeTimeProvider? time = null, TimeSpan? step = null, int rounds = 500)
    {
        for (int round = 0; round < rounds; round++)
        {
            if (await condition())
            {
                return;
            }

            if (time is not null && step is { } advance)
            {
                time.Advance(advance);
            }

            await Task.Delay(20);
        }

        Assert.Fail($"Timed out waiting for: {what}");
    }

    public static Task TrueAsync(Func<bool> condition, string what, FakeTimeProvider? time = null, TimeSpan? step = null, int rounds = 500) =>
        TrueAsync(() => Task.FromResult(condition()), what, time, step, rounds);
}
