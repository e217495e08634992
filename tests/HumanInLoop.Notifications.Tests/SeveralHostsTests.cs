using HumanInLoop.Notifications.Internal;
using HumanInLoop.Notifications.Tests.Infrastructure;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Notifications.Tests;

/// <summary>
/// Two real hosts (generic <see cref="IHost"/>s, each with its own store objects, delivery and expiry services) on one
/// database, one fake clock, one SMTP server and one webhook: each message goes out once, each approval expires once, and an
/// approved call is resumed once. Run over a SQLite file (<see cref="SqliteSeveralHostsTests"/>) and a PostgreSQL schema
/// (<see cref="PostgreSqlSeveralHostsTests"/>).
/// </summary>
public abstract class SeveralHostsTests : IAsyncLifetime
{
    private const int ClaimedElsewhereEvent = 115;
    private const int RecoveredEvent = 106;
    private static readonly TimeSpan Recovery = TimeSpan.FromMinutes(1);
    private readonly List<NotificationHost> _hosts = [];

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected WebhookReceiver Webhook { get; private set; } = null!;

    protected SmtpTestServer Smtp { get; } = new();

    public virtual async Task InitializeAsync() => Webhook = await WebhookReceiver.StartAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (NotificationHost host in _hosts)
        {
            await host.DisposeAsync();
        }

        await Webhook.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    /// <summary>Registers the state store and the notification store of one host, on the shared database.</summary>
    protected abstract void AddStores(IServiceCollection services);

    /// <summary>Opens another notification store object on the shared database (as a third process would).</summary>
    protected abstract INotificationStore OpenNotificationStore();

    protected async Task RequestInFlightOnOneHost_IsNotSentByTheOther_EachMessageOnce()
    {
        FakeLogCollector logA = new(), logB = new();
        NotificationHost a = await StartWorkerAsync(logA);
        NotificationHost b = await StartWorkerAsync(logB);
        await StartSweepsDoneAsync(logA, logB);
        INotificationStore store = OpenNotificationStore();

        // Host A sends the request; its webhook call hangs, so its claim is held while host B's recovery sweep finds the approval.
        WebhookReceiver.Hold hold = Webhook.HoldNext();
        PendingApproval pending = await a.PauseAsync();
        await hold.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => store.IsDeliveredAsync(Key(pending.Id, "email")), "the e-mail recorded");
        Time.Advance(Recovery);
        await Eventually.TrueAsync(
            () => Logged(logB, ClaimedElsewhereEvent, pending.Id) || Webhook.Requests > 1, "host B to find the Slack message claimed by host A (or to send it too)");
        Assert.Equal(1, Webhook.Requests);

        hold.Release.SetResult();
        await Eventually.TrueAsync(() => store.IsDeliveredAsync(Key(pending.Id, "slack")), "the Slack message recorded");
        await SweepBothAsync(logA, logB);

        Assert.Single(Webhook.Messages);
        Assert.Equal(1, Webhook.Requests);
        Assert.Equal(["alice@example.com", "bob@example.com"], MailsAbout(pending.Id).Order(StringComparer.Ordinal));
        _ = b;
    }

    protected async Task ClaimLeftByAHostThatDied_IsTakenOverWhenItsLeaseEnds_SentOnce()
    {
        // A host that only pauses (a web front end, no delivery) creates the approval; a crashed worker left claims on its messages.
        NotificationHost front = await StartAsync(AddStores);
        PendingApproval pending = await front.PauseAsync();
        INotificationStore store = OpenNotificationStore();
        DateTimeOffset leaseEnd = Time.GetUtcNow() + TimeSpan.FromMinutes(10);
        Assert.True(await store.TryClaimDeliveryAsync(Key(pending.Id, "slack"), "crashed-host", Time.GetUtcNow(), leaseEnd));
        Assert.True(await store.TryClaimDeliveryAsync(Key(pending.Id, "email"), "crashed-host", Time.GetUtcNow(), leaseEnd));

        FakeLogCollector logA = new(), logB = new();
        await StartWorkerAsync(logA);
        await StartWorkerAsync(logB);
        await Eventually.TrueAsync(
            () => (logA.GetSnapshot().Count(r => r.Id.Id == ClaimedElsewhereEvent) >= 2 && logB.GetSnapshot().Count(r => r.Id.Id == ClaimedElsewhereEvent) >= 2) ||
                Webhook.Requests > 0 || MailsAbout(pending.Id).Length > 0,
            "both hosts to find both messages claimed by the crashed host (or to send them)");
        Assert.Empty(Webhook.Messages);
        Assert.Empty(MailsAbout(pending.Id));

        // The lease ends: the next sweep of either host takes the messages over, and one host sends each.
        Time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(
            async () => await store.IsDeliveredAsync(Key(pending.Id, "slack")) && await store.IsDeliveredAsync(Key(pending.Id, "email")), "both messages taken over and recorded");
        await SweepBothAsync(logA, logB);

        Assert.Single(Webhook.Messages);
        Assert.Equal(["alice@example.com", "bob@example.com"], MailsAbout(pending.Id).Order(StringComparer.Ordinal));
    }

    protected async Task DeliveredMessages_FoundAgainBySweeps_AreNotClaimedAgain()
    {
        // A recovery sweep finds every pending approval again. A message already recorded as delivered must cost it one read, not
        // a claim and a release (two writes per message, channel, host and sweep).
        FakeLogCollector logA = new(), logB = new();
        NotificationHost a = await StartWorkerAsync(logA);
        await StartWorkerAsync(logB);
        await StartSweepsDoneAsync(logA, logB);
        INotificationStore store = OpenNotificationStore();
        PendingApproval pending = await a.PauseAsync();
        await Eventually.TrueAsync(
            async () => await store.IsDeliveredAsync(Key(pending.Id, "email")) && await store.IsDeliveredAsync(Key(pending.Id, "slack")), "both messages recorded");

        // An outside owner holds both keys: a sweep that claimed a delivered message before reading its record would be refused,
        // and would log that the message is claimed elsewhere.
        DateTimeOffset leaseEnd = Time.GetUtcNow() + TimeSpan.FromDays(1);
        foreach (string channel in new[] { "email", "slack" })
        {
            await Eventually.TrueAsync(
                () => store.TryClaimDeliveryAsync(Key(pending.Id, channel), "probe", Time.GetUtcNow(), leaseEnd), $"the {channel} claim released by its sender");
        }

        await SweepBothAsync(logA, logB);

        Assert.False(Logged(logA, ClaimedElsewhereEvent, pending.Id));
        Assert.False(Logged(logB, ClaimedElsewhereEvent, pending.Id));
        Assert.Single(Webhook.Messages);
        Assert.Equal(["alice@example.com", "bob@example.com"], MailsAbout(pending.Id).Order(StringComparer.Ordinal));
    }

    protected async Task ManyPendingApprovals_BothHostsSweepingAtOnce_SendEachMessageOnce()
    {
        const int count = 8;
        NotificationHost front = await StartAsync(AddStores);
        string[] ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = (await front.PauseAsync($"conv-{i}")).Id;
        }

        // Both hosts start together: their first sweeps race for every message.
        FakeLogCollector logA = new(), logB = new();
        await Task.WhenAll(StartWorkerAsync(logA), StartWorkerAsync(logB));
        INotificationStore store = OpenNotificationStore();
        foreach (string id in ids)
        {
            await Eventually.TrueAsync(async () => await store.IsDeliveredAsync(Key(id, "slack")) && await store.IsDeliveredAsync(Key(id, "email")), $"the request of {id} recorded");
        }

        await SweepBothAsync(logA, logB);
        Assert.Equal(count, Webhook.Messages.Count);
        Assert.Equal(count, Webhook.Requests);
        Assert.All(ids, id => Assert.Equal(["alice@example.com", "bob@example.com"], MailsAbout(id).Order(StringComparer.Ordinal)));
    }

    protected async Task ExpiryServicesOnBothHosts_ExpireEachApprovalOnce_OneAuditEvent_OneExpiredMessage()
    {
        const int count = 6;

        // Requests are not sent in this test (only announcements: no sweep of pending approvals after the start), and the expiry
        // services' own timers stay quiet: the sweeps run here, together.
        FakeLogCollector logA = new(), logB = new();
        TimeSpan quiet = TimeSpan.FromDays(30);
        NotificationHost a = await StartWorkerAsync(logA, expiryInterval: quiet, recovery: quiet, kinds: [ApprovalNotificationKind.Expired]);
        NotificationHost b = await StartWorkerAsync(logB, expiryInterval: quiet, recovery: quiet, kinds: [ApprovalNotificationKind.Expired]);
        await StartSweepsDoneAsync(logA, logB);
        NotificationHost front = await StartAsync(AddStores);
        string[] ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = (await front.PauseAsync($"conv-{i}")).Id;
        }

        ApprovalExpiryService[] services = [ExpiryOf(a), ExpiryOf(b)];
        Time.Advance(TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1));

        int[] expired = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => services[i % 2].RunOnceAsync())));

        Assert.Equal(count, expired.Sum());
        foreach (string id in ids)
        {
            PendingApproval approval = await front.Approvals.GetAsync(id);
            Assert.Equal(ApprovalStatus.Expired, approval.Status);
            Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Expired);
        }

        INotificationStore store = OpenNotificationStore();
        foreach (string id in ids)
        {
            await Eventually.TrueAsync(
                async () => await store.IsDeliveredAsync(DeliveryWork.Key(id, "Expired", null, "slack")) && await store.IsDeliveredAsync(DeliveryWork.Key(id, "Expired", null, "email")),
                $"the expiry of {id} announced");
        }

        await Task.Delay(300); // a message sent twice would arrive within this
        Assert.Equal(count, Webhook.Messages.Count);
        Assert.Equal(count * 2, Smtp.Messages.Count);
        Assert.All(ids, id => Assert.Equal(["alice@example.com", "bob@example.com"], MailsAbout(id).Order(StringComparer.Ordinal)));
    }

    protected async Task ApprovedCall_ResumedByBothHostsAtOnce_RunsOnce_OthersGetTheTypedAnswer()
    {
        NotificationHost a = await StartAsync(AddStores);
        NotificationHost b = await StartAsync(AddStores);
        PendingApproval pending = await a.PauseAsync();
        await b.Approvals.DecideAsync(pending.Id, "c1", ApprovalDecision.Approve(new Approver("alice", ["finance"])));

        int runs = 0;
        AIFunction transfer = AIFunctionFactory.Create((string to, string amount) => { Interlocked.Increment(ref runs); return "sent"; }, "transfer");
        ChatOptions options = new ChatOptions { Tools = ApprovalService.ProtectTools(transfer) }.WithCallerContext(new CallerContext { ConversationId = "conv-1" });
        NotificationHost[] hosts = [a, b];
        IChatClient[] clients = [.. hosts.Select(h => new ChatClientBuilder(new ScriptedChatClient(_ => ScriptedChatClient.Text("Done.")))
            .UseFunctionInvocation().UseApprovalGate(h.Approvals).Build())];

        Task<ResumeResult>[] resumes = [.. Enumerable.Range(0, 16).Select(i => Task.Run(() => hosts[i % 2].Approvals.ResumeAsync(pending.Id, clients[i % 2], options)))];
        try
        {
            await Task.WhenAll(resumes);
        }
        catch (ApprovalConflictException)
        {
        }

        Assert.Equal(1, runs);
        Assert.Equal(1, resumes.Count(r => r.IsCompletedSuccessfully));
        Assert.All(resumes.Where(r => !r.IsCompletedSuccessfully), r => Assert.True(
            r.Exception?.InnerException is ApprovalConflictException,
            $"a resume ended with {r.Exception?.InnerException?.GetType().Name}: the one result, or the typed conflict (in progress or already done), nothing else"));
        PendingApproval done = await b.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, done.Status);
        Assert.Single(done.AuditTrail, e => e.Event == ApprovalAuditEvent.Completed);
    }

    private static string Key(string approvalId, string channel) => DeliveryWork.Key(approvalId, "Pending", null, channel);

    private static bool Logged(FakeLogCollector log, int eventId, string approvalId) =>
        log.GetSnapshot().Any(r => r.Id.Id == eventId && r.StructuredState!.Any(p => p.Key == "ApprovalId" && p.Value == approvalId));

    private static ApprovalExpiryService ExpiryOf(NotificationHost host) => host.Host.Services.GetRequiredService<ApprovalExpiryService>();

    private string[] MailsAbout(string approvalId) =>
        [.. Smtp.Messages.Where(m => m.Message.Headers["X-HumanInLoop-Approval"] == approvalId).SelectMany(m => m.To)];

    /// <summary>Moves the clock past a recovery interval and waits until both hosts swept again; whatever they queued has then had its chance.</summary>
    private async Task SweepBothAsync(FakeLogCollector logA, FakeLogCollector logB)
    {
        for (int sweep = 0; sweep < 2; sweep++)
        {
            int before = Math.Min(logA.GetSnapshot().Count(r => r.Id.Id == RecoveredEvent), logB.GetSnapshot().Count(r => r.Id.Id == RecoveredEvent));
            Time.Advance(Recovery);
            await Eventually.TrueAsync(
                () => logA.GetSnapshot().Count(r => r.Id.Id == RecoveredEvent) > before && logB.GetSnapshot().Count(r => r.Id.Id == RecoveredEvent) > before, "both hosts to sweep");
        }

        // What a sweep queued is sent in the background; a message sent twice would arrive within this.
        await Task.Delay(300);
    }

    private static Task StartSweepsDoneAsync(FakeLogCollector logA, FakeLogCollector logB) => Eventually.TrueAsync(
        () => logA.GetSnapshot().Any(r => r.Id.Id == RecoveredEvent) && logB.GetSnapshot().Any(r => r.Id.Id == RecoveredEvent), "both hosts' first sweep");

    private Task<NotificationHost> StartWorkerAsync(FakeLogCollector log, TimeSpan? expiryInterval = null, TimeSpan? recovery = null, ApprovalNotificationKind[]? kinds = null) =>
        StartAsync(services =>
        {
            AddStores(services);
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(log)));
            services.AddHumanInLoopNotifications(options =>
                {
                    options.RecoveryInterval = recovery ?? Recovery;
                    options.AttemptTimeout = TimeSpan.FromHours(1); // never times out while the clock jumps: a timed-out attempt may have gone out
                    options.InitialRetryDelay = TimeSpan.FromSeconds(1);
                    if (kinds is not null)
                    {
                        options.Kinds.Clear();
                        options.Kinds.UnionWith(kinds);
                    }
                })
                .AddApprovalLinks(options =>
                {
                    options.BaseUri = new Uri("https://approvals.example.com/links");
                    options.SigningKey = WorkflowEnvironment.LinkKey;
                })
                .AddSlackWebhook(options => options.WebhookUri = Webhook.Uri)
                .AddSmtpEmail(options =>
                {
                    options.Host = "127.0.0.1";
                    options.Port = Smtp.Port;
                    options.Security = MailKit.Security.SecureSocketOptions.None;
                    options.From = "approvals@example.com";
                    options.Recipients.Add("alice@example.com");
                    options.Recipients.Add("bob@example.com");
                })
                .AddApprovalExpiry(options => options.Interval = expiryInterval ?? TimeSpan.FromMinutes(1));
        });

    private async Task<NotificationHost> StartAsync(Action<IServiceCollection> configure)
    {
        NotificationHost host = await NotificationHost.StartAsync(Time, configure);
        _hosts.Add(host);
        return host;
    }
}
