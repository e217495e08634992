using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>A policy's escalation: at its time (not before) an undecided call is put to another group, which may then decide besides the first; the deadline still ends it.</summary>
public sealed class EscalationTests
{
    private static readonly Approver Clerk = new("cleo", ["clerk"]);
    private static readonly Approver Manager = new("mona", ["manager"]);
    private static readonly TimeSpan After = TimeSpan.FromHours(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromHours(8);

    private sealed class Notifier : IApprovalNotifier
    {
        public ConcurrentQueue<ApprovalNotification> Seen { get; } = new();

        public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
        {
            Seen.Enqueue(notification);
            return ValueTask.CompletedTask;
        }

        public int Count(ApprovalNotificationKind kind) => Seen.Count(n => n.Kind == kind);
    }

    private static IApprovalPolicy Escalating() => ApprovalPolicy.RequireApproval(
        "transfer", "Transfers need a clerk.", approvers: ["clerk"], expiresAfter: Deadline, escalation: new ApprovalEscalation(After, ["manager"]));

    private static (TestBank Bank, Notifier Notifier) NewBank(params IApprovalPolicy[] policies)
    {
        Notifier notifier = new();
        ApprovalOptions options = new() { Notifiers = { notifier } };
        foreach (IApprovalPolicy policy in policies.DefaultIfEmpty(Escalating()))
        {
            options.Policies.Add(policy);
        }

        options.Policies.Add(ApprovalPolicy.Allow("check_balance"));
        return (new TestBank(options), notifier);
    }

    /// <summary>Holds a transfer of 500 to bob by tool calling (streaming or not) or as a plan; returns the approval id.</summary>
    private static async Task<string> HoldAsync(TestBank bank, string mode)
    {
        if (mode == "plan")
        {
            PlanResult plan = await bank.Approvals.RunPlanAsync(
                [PlannedAction.Create("transfer", new { to = "bob", amount = 500 }, "c-tr")], ApprovalService.ProtectTools(bank.Transfer),
                new CallerContext { ConversationId = "conv-1", UserId = "carol" });
            return plan.PendingApproval!.Id;
        }

        return (await bank.SendAsync("transfer 500 to bob", streaming: mode == "streaming")).Pending.Id;
    }

    private static async Task ResumeAsync(TestBank bank, string id, string mode)
    {
        switch (mode)
        {
            case "plan":
                await bank.Approvals.ResumePlanAsync(id, ApprovalService.ProtectTools(bank.Transfer));
                break;
            case "streaming":
                await foreach (ChatResponseUpdate _ in bank.Approvals.ResumeStreamingAsync(id, bank.Client, bank.ChatOptions()))
                {
                }

                break;
            default:
                await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions());
                break;
        }
    }

    [Fact]
    public async Task Sweep_EscalatesAtItsTime_NotBefore_Once()
    {
        (TestBank bank, Notifier notifier) = NewBank();
        string id = await HoldAsync(bank, "chat");
        PendingToolCall held = (await bank.Approvals.GetAsync(id)).FindCall("c-tr")!;
        Assert.Equal(TestBank.Start + After, held.EscalatesAt);
        Assert.Equal(["manager"], held.EscalationApprovers);
        Assert.Null(held.EscalatedAt);
        Assert.Equal(TestBank.Start + After, (await bank.Store.GetAsync(id))!.ExpiresAt); // the index row carries the next due time

        bank.Time.Advance(After - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await bank.Approvals.ExpireDueAsync());
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Manager)));
        PendingApproval before = await bank.Approvals.GetAsync(id);
        Assert.Null(before.FindCall("c-tr")!.EscalatedAt);
        Assert.DoesNotContain(before.AuditTrail, e => e.Event == ApprovalAuditEvent.Escalated);
        Assert.Equal(0, notifier.Count(ApprovalNotificationKind.Escalated));

        bank.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await bank.Approvals.ExpireDueAsync()); // escalations are not expiries
        Assert.Equal(0, await bank.Approvals.ExpireDueAsync()); // a second sweep finds nothing more to do

        PendingApproval escalated = await bank.Approvals.GetAsync(id);
        PendingToolCall call = escalated.FindCall("c-tr")!;
        Assert.Equal(ApprovalStatus.Pending, escalated.Status);
        Assert.Equal(TestBank.Start + After, call.EscalatedAt);
        Assert.Equal(["clerk", "manager"], call.Approvers);
        ApprovalAuditEntry entry = Assert.Single(escalated.AuditTrail, e => e.Event == ApprovalAuditEvent.Escalated);
        Assert.Equal(("system", "c-tr"), (entry.Actor, entry.CallId));
        Assert.Contains("escalated to manager; clerk may still decide", entry.Reason, StringComparison.Ordinal);
        ApprovalNotification told = Assert.Single(notifier.Seen, n => n.Kind == ApprovalNotificationKind.Escalated);
        Assert.Equal("c-tr", told.CallId);
        Assert.Equal(TestBank.Start + Deadline, (await bank.Store.GetAsync(id))!.ExpiresAt); // next due: the final deadline
        Assert.Equal(TestBank.Start + Deadline, escalated.ExpiresAt);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("streaming")]
    [InlineData("plan")]
    public async Task EscalationGroup_DecidesAtItsTime_WithoutASweep_TheCallRunsOnce(string mode)
    {
        (TestBank bank, Notifier notifier) = NewBank();
        string id = await HoldAsync(bank, mode);
        bank.Time.Advance(After);

        PendingApproval decided = await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Manager, "the clerks are out"));

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        Assert.Equal("mona", decided.FindCall("c-tr")!.DecidedBy);
        Assert.Equal(
            [ApprovalAuditEvent.Escalated, ApprovalAuditEvent.Approved],
            decided.AuditTrail.Where(e => e.Event is ApprovalAuditEvent.Escalated or ApprovalAuditEvent.Approved).Select(e => e.Event));
        Assert.Equal([ApprovalNotificationKind.Pending, ApprovalNotificationKind.Escalated, ApprovalNotificationKind.Decided], notifier.Seen.Select(n => n.Kind));

        await ResumeAsync(bank, id, mode);
        Assert.Equal(("bob", 500m), Assert.Single(bank.Transfers) is var t ? (t.To, t.Amount) : default);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("streaming")]
    [InlineData("plan")]
    public async Task FirstGroup_StillDecidesAfterTheEscalation(string mode)
    {
        (TestBank bank, _) = NewBank();
        string id = await HoldAsync(bank, mode);
        bank.Time.Advance(After);
        await bank.Approvals.ExpireDueAsync();

        PendingApproval decided = await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Reject(Clerk, "not today"));

        Assert.Equal(CallDecisionStatus.Rejected, decided.FindCall("c-tr")!.Decision);
        await ResumeAsync(bank, id, mode);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task FinalDeadline_ExpiresTheEscalatedApproval_AsToday()
    {
        (TestBank bank, Notifier notifier) = NewBank();
        string id = await HoldAsync(bank, "chat");
        bank.Time.Advance(After);
        await bank.Approvals.ExpireDueAsync();
        bank.Time.Advance(Deadline - After - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await bank.Approvals.ExpireDueAsync());

        bank.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());

        Assert.Equal(ApprovalStatus.Expired, (await bank.Approvals.GetAsync(id)).Status);
        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Manager)));
        Assert.Equal([ApprovalNotificationKind.Pending, ApprovalNotificationKind.Escalated, ApprovalNotificationKind.Expired], notifier.Seen.Select(n => n.Kind));
    }

    [Fact]
    public async Task Decision_BeforeTheEscalation_LeavesNothingToEscalate()
    {
        (TestBank bank, Notifier notifier) = NewBank();
        string id = await HoldAsync(bank, "chat");
        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Clerk));
        Assert.Equal(TestBank.Start + Deadline, (await bank.Store.GetAsync(id))!.ExpiresAt);

        bank.Time.Advance(After);
        await bank.Approvals.ExpireDueAsync();

        PendingApproval approval = await bank.Approvals.GetAsync(id);
        Assert.Null(approval.FindCall("c-tr")!.EscalatedAt);
        Assert.Equal(["clerk"], approval.FindCall("c-tr")!.Approvers);
        Assert.Equal(0, notifier.Count(ApprovalNotificationKind.Escalated));
    }

    [Fact]
    public async Task DecideRacingTheSweep_OneOutcome_RecordedConsistently()
    {
        for (int round = 0; round < 25; round++)
        {
            (TestBank bank, Notifier notifier) = NewBank();
            string id = await HoldAsync(bank, "chat");
            bank.Time.Advance(After);

            using Barrier start = new(2);
            Task<int> sweep = Task.Run(() => { start.SignalAndWait(); return bank.Approvals.ExpireDueAsync(); });
            Task<PendingApproval> decide = Task.Run(() => { start.SignalAndWait(); return bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Clerk)); });
            await Task.WhenAll(sweep, decide);

            PendingApproval final = await bank.Approvals.GetAsync(id);
            Assert.Equal(ApprovalStatus.Decided, final.Status);
            Assert.Equal((CallDecisionStatus.Approved, "cleo"), (final.FindCall("c-tr")!.Decision, final.FindCall("c-tr")!.DecidedBy));
            ApprovalAuditEvent[] events = [.. final.AuditTrail.Select(e => e.Event)];
            Assert.Single(events, e => e == ApprovalAuditEvent.Approved);
            int escalations = events.Count(e => e == ApprovalAuditEvent.Escalated);
            Assert.InRange(escalations, 0, 1);
            if (escalations == 1)
            {
                Assert.True(Array.IndexOf(events, ApprovalAuditEvent.Escalated) < Array.IndexOf(events, ApprovalAuditEvent.Approved));
            }

            Assert.Equal(escalations, notifier.Count(ApprovalNotificationKind.Escalated));
            Assert.Equal(escalations == 1, final.FindCall("c-tr")!.EscalatedAt is not null);
        }
    }

    [Fact]
    public async Task DefaultDeadline_BeforeTheEscalation_PlansNone()
    {
        Notifier notifier = new();
        TestBank bank = new(new ApprovalOptions
        {
            DefaultExpiration = TimeSpan.FromMinutes(30),
            Notifiers = { notifier },
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Clerks.", ["clerk"], escalation: new ApprovalEscalation(After, ["manager"])) },
        });
        string id = await HoldAsync(bank, "chat");

        Assert.Null((await bank.Approvals.GetAsync(id)).FindCall("c-tr")!.EscalatesAt);
        bank.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());
        Assert.Equal(0, notifier.Count(ApprovalNotificationKind.Escalated));
    }

    [Fact]
    public async Task TwoPolicies_EscalationReachesOnlyWhomEveryPolicyAllows()
    {
        IApprovalPolicy strict = ApprovalPolicy.Create(call => call.ToolName == "transfer"
            ? PolicyVerdict.RequireApproval("Clerks or supervisors.", ["clerk", "supervisor"]) : PolicyVerdict.NotApplicable);
        (TestBank bank, _) = NewBank(Escalating(), strict);
        string id = await HoldAsync(bank, "chat");

        // The second policy never lets a manager decide: no escalation is planned, and a manager is refused after its time.
        Assert.Null((await bank.Approvals.GetAsync(id)).FindCall("c-tr")!.EscalatesAt);
        bank.Time.Advance(After);
        await bank.Approvals.ExpireDueAsync();
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(Manager)));

        IApprovalPolicy agreeing = ApprovalPolicy.Create(call => call.ToolName == "transfer"
            ? PolicyVerdict.RequireApproval("Clerks or managers.", ["clerk", "manager"]) : PolicyVerdict.NotApplicable);
        (TestBank other, _) = NewBank(Escalating(), agreeing);
        string second = await HoldAsync(other, "chat");
        Assert.Equal(["manager"], (await other.Approvals.GetAsync(second)).FindCall("c-tr")!.EscalationApprovers);
        other.Time.Advance(After);
        Assert.Equal(CallDecisionStatus.Approved, (await other.Approvals.DecideAsync(second, "c-tr", ApprovalDecision.Approve(Manager))).FindCall("c-tr")!.Decision);
    }

    [Fact]
    public void BadEscalation_IsRefusedWhenTheVerdictIsBuilt()
    {
        Assert.Throws<ArgumentException>(() => new ApprovalEscalation(After, []));
        Assert.Throws<ArgumentException>(() => new ApprovalEscalation(After, ["manager", " "]));
        Assert.Throws<ArgumentNullException>(() => new ApprovalEscalation(After, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ApprovalEscalation(TimeSpan.Zero, ["manager"]));
        ApprovalEscalation escalation = new(After, ["manager"]);
        Assert.Throws<ArgumentException>(() => PolicyVerdict.RequireApproval("r", approvers: null, escalation: escalation)); // anyone may already decide
        Assert.Throws<ArgumentException>(() => PolicyVerdict.RequireApproval("r", ["manager", "clerk"], escalation: escalation)); // adds nobody
        Assert.Throws<ArgumentException>(() => PolicyVerdict.RequireApproval("r", ["clerk"], expiresAfter: After, escalation: escalation)); // not before the deadline
        Assert.Throws<ArgumentException>(() => ApprovalPolicy.RequireApproval("transfer", "r", ["clerk"], After, escalation: escalation));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PolicyBuildingABadEscalation_StopsTheRequest_NothingHeldNothingRuns(bool streaming)
    {
        (TestBank bank, _) = NewBank(ApprovalPolicy.Create(call => call.ToolName == "transfer"
            ? PolicyVerdict.RequireApproval("r", ["clerk"], escalation: new ApprovalEscalation(After, [])) : PolicyVerdict.NotApplicable));

        Outcome outcome = await bank.SendAsync("transfer 500 to bob", streaming);

        Assert.IsType<ArgumentException>(outcome.Error);
        Assert.Empty((await bank.Store.ListAsync(new StateQuery())).Entries);
        Assert.Empty(bank.Transfers);
    }
}
