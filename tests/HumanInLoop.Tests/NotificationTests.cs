using System.Collections.Concurrent;

namespace HumanInLoop.Tests;

public sealed class NotificationTests
{
    private sealed class RecordingNotifier : IApprovalNotifier
    {
        public ConcurrentQueue<ApprovalNotification> Seen { get; } = new();

        public Func<ApprovalNotification, ValueTask>? OnNotify { get; set; }

        public async ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
        {
            Seen.Enqueue(notification);
            if (OnNotify is { } on)
            {
                await on(notification);
            }
        }
    }

    [Fact]
    public async Task Notifier_ToldOfEachSavedChange_WithTheStateAfterIt()
    {
        RecordingNotifier notifier = new();
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Notifiers.Add(notifier);
        TestBank bank = new(options);

        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Equal([ApprovalNotificationKind.Pending, ApprovalNotificationKind.Decided, ApprovalNotificationKind.Completed], notifier.Seen.Select(n => n.Kind));
        ApprovalNotification[] seen = [.. notifier.Seen];
        Assert.Equal(ApprovalStatus.Pending, seen[0].Approval.Status);
        Assert.Equal("c-tr", seen[1].CallId);
        Assert.Equal(ApprovalStatus.Decided, seen[1].Approval.Status);
        Assert.All(seen, n => Assert.Equal(pending.Id, n.Approval.Id));
    }

    [Fact]
    public async Task FailingNotifier_NeverFailsOrUndoesTheChange()
    {
        RecordingNotifier notifier = new() { OnNotify = _ => throw new HttpRequestException("webhook down") };
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Notifiers.Add(notifier);
        TestBank bank = new(options);

        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(pending.Id)).Status);
        Assert.Equal(2, notifier.Seen.Count);
        Assert.Equal(ApprovalStatus.Decided, decided.Status);
    }

    [Fact]
    public async Task ExpireDue_ExpiresOnlyDueApprovals_RecordsAndNotifies()
    {
        RecordingNotifier notifier = new();
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Notifiers.Add(notifier);
        options.Policies.Add(ApprovalPolicy.RequireApprovalWhen<TransferArgs>("transfer", t => t.To == "eve", "Eve: quick deadline.", expiresAfter: TimeSpan.FromHours(1)));
        TestBank bank = new(options);
        PendingApproval slow = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        PendingApproval quick = (await bank.SendAsync("transfer 500 to eve", false)).Pending;
        PendingApproval decided = (await bank.SendAsync("transfer 700 to eve", false)).Pending;
        await bank.Approvals.DecideAsync(decided.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        Assert.Equal(0, await bank.Approvals.ExpireDueAsync());
        bank.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());
        Assert.Equal(0, await bank.Approvals.ExpireDueAsync());

        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(slow.Id)).Status);
        Assert.Equal(ApprovalStatus.Expired, (await bank.Approvals.GetAsync(quick.Id)).Status);
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(decided.Id)).Status);
        Assert.Single(notifier.Seen, n => n.Kind == ApprovalNotificationKind.Expired && n.Approval.Id == quick.Id);
    }
}
