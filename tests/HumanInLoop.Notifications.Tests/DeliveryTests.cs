using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests;

/// <summary>The background delivery: retries with backoff, durable records that prevent repeats, recovery of what was never delivered.</summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hil-delivery-" + Guid.NewGuid().ToString("N"));
    private WebhookReceiver _webhook = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _webhook = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _webhook.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task WebhookFailingSeveralTimes_RetriedAfterTheLoggedDelays_DeliveredOnce_ApprovalUntouched()
    {
        _webhook.FailNext(4);
        FakeLogCollector log = new();
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(log)))
            .AddHumanInLoopNotifications(options =>
            {
                options.InitialRetryDelay = TimeSpan.FromSeconds(2);
                options.MaxRetryDelay = TimeSpan.FromMinutes(1);
                options.RecoveryInterval = TimeSpan.FromHours(1);
            })
            .AddSlackWebhook(options => options.WebhookUri = _webhook.Uri));
        PendingApproval pending = await host.PauseAsync();

        _webhook.Clock = _time;
        await Eventually.TrueAsync(() => !_webhook.Messages.IsEmpty, "delivery after 4 failures", _time, TimeSpan.FromMilliseconds(250), rounds: 1000);
        DateTimeOffset[] attempts = [.. _webhook.RequestTimes];

        Assert.Equal(5, _webhook.Requests);
        Assert.Single(_webhook.Messages);

        // The delays Polly chose (logged with each retry, with the attempt that failed): positive, capped by MaxRetryDelay.
        TimeSpan[] delays = [.. RetryLogs(log).Select(r => r.Delay)];
        Assert.Equal([1, 2, 3, 4], RetryLogs(log).Select(r => r.Attempt));
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1)));

        // And each retry waited at least its delay (fake time moves in steps of the test's polling, so not exactly it; the
        // timer waits whole milliseconds).
        TimeSpan[] gaps = [.. attempts.Zip(attempts.Skip(1), (a, b) => b - a)];
        Assert.Equal(4, gaps.Length);
        for (int i = 0; i < gaps.Length; i++)
        {
            Assert.True(gaps[i] >= delays[i] - TimeSpan.FromMilliseconds(1), $"retry {i + 1} came after {gaps[i]}, before its delay of {delays[i]}");
        }

        // The approval itself never depended on the delivery.
        PendingApproval stored = await host.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Pending, stored.Status);

        // More time passes (recovery sweeps): nothing is sent again.
        _time.Advance(TimeSpan.FromHours(3));
        await Task.Delay(200);
        Assert.Single(_webhook.Messages);
    }

    /// <summary>
    /// Jitter spreads the retries of many messages, the backoff grows, and MaxRetryDelay caps it. Ten messages each fail three
    /// times; the comparisons are between averages of ten random draws, far apart by construction.
    /// </summary>
    [Fact]
    public async Task ManyMessagesFailing_RetriesSpreadOut_GrowFromTheFirstToTheThird_CappedAtMaxRetryDelay()
    {
        FakeLogCollector log = new();
        FailingFirstAttemptsChannel channel = new(failedAttempts: 3);
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(log)))
            .AddHumanInLoopNotifications(options =>
            {
                options.InitialRetryDelay = TimeSpan.FromSeconds(2);
                options.MaxRetryDelay = TimeSpan.FromSeconds(4);
                options.RecoveryInterval = TimeSpan.FromHours(1);
            })
            .Services.AddSingleton<IApprovalChannel>(channel));
        for (int i = 0; i < 10; i++)
        {
            await host.PauseAsync($"conv-{i}");
        }

        await Eventually.TrueAsync(() => channel.Delivered.Count == 10, "ten deliveries at the fourth attempt", _time, TimeSpan.FromMilliseconds(500), rounds: 1000);
        Assert.All(channel.Delivered, delivery => Assert.Equal(4, delivery.Attempt));

        (int Attempt, TimeSpan Delay)[] retries = RetryLogs(log);
        Assert.Equal(30, retries.Length);
        Assert.All(retries, r => Assert.InRange(r.Delay, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(4)));
        TimeSpan[] first = [.. retries.Where(r => r.Attempt == 1).Select(r => r.Delay)];
        TimeSpan[] third = [.. retries.Where(r => r.Attempt == 3).Select(r => r.Delay)];
        Assert.True(first.Distinct().Count() >= 5, $"first retries not spread: {string.Join(", ", first)}");
        Assert.True(third.Average(d => d.TotalSeconds) > first.Average(d => d.TotalSeconds), "the backoff grows");
    }

    [Fact]
    public async Task ChannelHangingPastTheAttemptTimeout_CancelledCountedAsFailed_AndRetried()
    {
        HangingOnceChannel channel = new();
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications(options =>
            {
                options.AttemptTimeout = TimeSpan.FromSeconds(10);
                options.InitialRetryDelay = TimeSpan.FromSeconds(1);
                options.RecoveryInterval = TimeSpan.FromHours(1);
            })
            .Services.AddSingleton<IApprovalChannel>(channel));
        await host.PauseAsync();
        await Eventually.TrueAsync(() => channel.Started == 1, "the first attempt hangs");

        // Nine seconds of the host's clock: still within the attempt's time.
        _time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(100);
        Assert.False(channel.FirstCancelled.IsCompleted);

        await Eventually.TrueAsync(() => channel.Delivered is not null, "the retry after the timeout", _time, TimeSpan.FromSeconds(1));
        Assert.True(channel.FirstCancelled.IsCompleted);
        Assert.Equal(2, channel.Delivered!.Attempt);
    }

    [Fact]
    public async Task ChannelFailingEveryAttempt_GivesUp_ThenRecoverySweepDeliversLater()
    {
        RecordingChannel channel = new("pager", failures: 3) { Time = _time };
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications(options =>
            {
                options.MaxAttempts = 3;
                options.InitialRetryDelay = TimeSpan.FromSeconds(1);
                options.RecoveryInterval = TimeSpan.FromMinutes(10);
            })
            .Services.AddSingleton<IApprovalChannel>(channel));
        PendingApproval pending = await host.PauseAsync();

        await Eventually.TrueAsync(() => channel.Attempts.Count == 3, "three failed attempts", _time, TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(100);
        Assert.Equal(3, channel.Attempts.Count); // gave up until the next sweep
        Assert.Equal(ApprovalStatus.Pending, (await host.Approvals.GetAsync(pending.Id)).Status);

        await Eventually.TrueAsync(() => channel.Delivered.Any(), "delivery by the recovery sweep", _time, TimeSpan.FromMinutes(1));
        ApprovalDelivery delivery = Assert.Single(channel.Delivered);
        Assert.Equal(ApprovalNotificationKind.Pending, delivery.Kind);
        Assert.Equal(pending.Id, delivery.Approval.Id);
        Assert.Equal("c1", Assert.Single(delivery.CallsToDecide).CallId);
    }

    [Fact]
    public async Task DeliveryRecords_InSqlite_SurviveRestart_NoRepeat_AndUndeliveredIsSent()
    {
        string connection = $"Data Source={Path.Combine(_directory, "state.db")}";
        RecordingChannel first = new("chat") { Time = _time };
        PendingApproval delivered;
        PendingApproval missed;
        await using (NotificationHost host = await NotificationHost.StartAsync(_time, services =>
        {
            services.AddHumanInLoopSqlite(connection);
            services.AddHumanInLoopSqliteNotificationStore(connection);
            services.AddHumanInLoopNotifications().Services.AddSingleton<IApprovalChannel>(first);
        }))
        {
            delivered = await host.PauseAsync("conv-a");
            await Eventually.TrueAsync(() => first.Delivered.Any(), "first delivery");

            // Saved while the delivery service is stopped (as if the process died before delivering).
            await host.Host.Services.GetServices<IHostedService>().Single(s => s.GetType().Name == "ApprovalDeliveryService").StopAsync(CancellationToken.None);
            missed = await host.PauseAsync("conv-b");
        }

        RecordingChannel second = new("chat") { Time = _time };
        await using NotificationHost restarted = await NotificationHost.StartAsync(_time, services =>
        {
            services.AddHumanInLoopSqlite(connection);
            services.AddHumanInLoopNotifications().Services.AddSingleton<IApprovalChannel>(second);
            services.AddHumanInLoopSqliteNotificationStore(connection);
        });
        await Eventually.TrueAsync(() => second.Delivered.Any(d => d.Approval.Id == missed.Id), "the missed request");
        await Task.Delay(200);
        Assert.DoesNotContain(second.Attempts, a => a.Delivery.Approval.Id == delivered.Id);
        Assert.Single(second.Attempts);
    }

    [Fact]
    public async Task DecidedBeforeRetry_StaleRequestIsNotSent_DecisionIsAnnounced()
    {
        RecordingChannel channel = new("chat", failures: 1) { Time = _time };
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications(options => options.InitialRetryDelay = TimeSpan.FromSeconds(10))
            .Services.AddSingleton<IApprovalChannel>(channel));
        PendingApproval pending = await host.PauseAsync();
        await Eventually.TrueAsync(() => channel.Attempts.Count == 1, "first (failed) attempt");

        await host.Approvals.DecideAsync(pending.Id, "c1", ApprovalDecision.Reject(new Approver("alice"), "Not this one."));
        await Eventually.TrueAsync(() => channel.Delivered.Any(d => d.Kind == ApprovalNotificationKind.Decided), "decision announced");
        _time.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(200);
        Assert.DoesNotContain(channel.Delivered, d => d.Kind == ApprovalNotificationKind.Pending);
        Assert.Equal(ApprovalNotificationKind.Decided, Assert.Single(channel.Delivered).Kind);
    }

    [Fact]
    public async Task Dispatcher_NotifyAsync_NeverBlocks_EvenWithAStuckChannel()
    {
        TaskCompletionSource never = new();
        StuckChannel stuck = new(never.Task);
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications(options => options.MaxConcurrentDeliveries = 1)
            .Services.AddSingleton<IApprovalChannel>(stuck));
        async Task PauseTwentyAsync()
        {
            for (int i = 0; i < 20; i++)
            {
                await host.PauseAsync($"conv-{i}");
            }
        }

        // Blocked pauses would never end: 30 s (real time) is the bound that tells a hang from a slow machine.
        await PauseTwentyAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(20, (await host.Approvals.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 100 })).Approvals.Count);
        never.SetResult();
    }

    [Fact]
    public async Task ChannelsWithTheSameName_RefusedAtStart()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications()
            .AddChannel<SameNameChannel>()
            .AddChannel<SameNameChannel>()));
    }

    private static (int Attempt, TimeSpan Delay)[] RetryLogs(FakeLogCollector log) => [.. log.GetSnapshot()
        .Where(record => record.Id.Id == 102)
        .Select(record => (
            int.Parse(record.StructuredState!.Single(p => p.Key == "Attempt").Value!, System.Globalization.CultureInfo.InvariantCulture),
            TimeSpan.Parse(record.StructuredState!.Single(p => p.Key == "Delay").Value!, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Fails the first attempts of every message (by the attempt number the delivery service passes).</summary>
    private sealed class FailingFirstAttemptsChannel(int failedAttempts) : IApprovalChannel
    {
        public string Name => "flaky";

        public System.Collections.Concurrent.ConcurrentBag<ApprovalDelivery> Delivered { get; } = [];

        public Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
        {
            if (delivery.Attempt <= failedAttempts)
            {
                return Task.FromException(new HttpRequestException("The endpoint is down."));
            }

            Delivered.Add(delivery);
            return Task.CompletedTask;
        }
    }

    /// <summary>Hangs on its first attempt until cancelled; succeeds after.</summary>
    private sealed class HangingOnceChannel : IApprovalChannel
    {
        private readonly TaskCompletionSource _firstCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public string Name => "hanging";

        public int Started => Volatile.Read(ref _started);

        public Task FirstCancelled => _firstCancelled.Task;

        public ApprovalDelivery? Delivered { get; private set; }

        public async Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _started) == 1)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    _firstCancelled.TrySetResult();
                }
            }

            Delivered = delivery;
        }
    }

    private sealed class StuckChannel(Task wait) : IApprovalChannel
    {
        public string Name => "stuck";

        public Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken) => wait.WaitAsync(cancellationToken);
    }

    private sealed class SameNameChannel : IApprovalChannel
    {
        public string Name => "same";

        public Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
