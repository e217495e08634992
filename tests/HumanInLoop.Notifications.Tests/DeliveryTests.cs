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
    public async Task WebhookFailingSeveralTimes_RetriedWithGrowingDelays_DeliveredOnce_ApprovalUntouched()
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

        // The delays the service chose (logged with each retry): equal jitter, the n-th between half and all of 2 s × 2^(n-1).
        TimeSpan[] delays = [.. log.GetSnapshot()
            .Where(record => record.Id.Id == 102)
            .Select(record => TimeSpan.Parse(record.StructuredState!.Single(p => p.Key == "Delay").Value!, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(4, delays.Length);
        for (int i = 0; i < delays.Length; i++)
        {
            double full = 2 * Math.Pow(2, i);
            Assert.InRange(delays[i].TotalSeconds, full / 2, full);
        }

        Assert.True(delays[3] > delays[0], "delays grow");

        // And each retry waited at least its delay (fake time moves in steps of the test's polling, so not exactly it).
        TimeSpan[] gaps = [.. attempts.Zip(attempts.Skip(1), (a, b) => b - a)];
        Assert.Equal(4, gaps.Length);
        for (int i = 0; i < gaps.Length; i++)
        {
            Assert.True(gaps[i] >= delays[i], $"retry {i + 1} came after {gaps[i]}, before its delay of {delays[i]}");
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
    /// Task.Delay waits whole milliseconds (it drops anything finer), so a delay of 1.5007 s was logged but 1.5 s waited (the
    /// test above failed when its clock step landed on that millisecond); the delays chosen are whole milliseconds.
    /// </summary>
    [Fact]
    public async Task RetryDelays_AreWholeMilliseconds_WithinTheEqualJitterRange()
    {
        await using NotificationHost host = await NotificationHost.StartAsync(_time, services => services
            .AddHumanInLoopNotifications(options =>
            {
                options.InitialRetryDelay = TimeSpan.FromSeconds(2);
                options.MaxRetryDelay = TimeSpan.FromMinutes(1);
            }));
        ApprovalDeliveryService delivery = host.Host.Services.GetServices<IHostedService>().OfType<ApprovalDeliveryService>().Single();

        for (int failed = 1; failed <= 8; failed++)
        {
            double full = Math.Min(2 * Math.Pow(2, failed - 1), 60);
            for (int draw = 0; draw < 200; draw++)
            {
                TimeSpan delay = delivery.Backoff(failed);
                Assert.Equal(0, delay.Ticks % TimeSpan.TicksPerMillisecond);
                Assert.InRange(delay.TotalSeconds, full / 2, full);
            }
        }
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
