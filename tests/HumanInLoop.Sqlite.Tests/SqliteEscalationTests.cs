using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>A policy's escalation over a real SQLite file: performed by a service started later, announced once among several sweepers.</summary>
public sealed class SqliteEscalationTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan After = TimeSpan.FromHours(1);
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private sealed class Notifier : IApprovalNotifier
    {
        public ConcurrentQueue<ApprovalNotification> Seen { get; } = new();

        public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
        {
            Seen.Enqueue(notification);
            return ValueTask.CompletedTask;
        }
    }

    private static ApprovalService Service(string connection, TimeProvider time, Notifier notifier) => new(new SqliteStateStore(connection), new ApprovalOptions
    {
        TimeProvider = time,
        Notifiers = { notifier },
        Policies =
        {
            ApprovalPolicy.RequireApproval("transfer", "Clerks decide transfers.", ["clerk"], TimeSpan.FromHours(8), escalation: new ApprovalEscalation(After, ["manager"])),
        },
    });

    private static async Task<string> HoldAsync(ApprovalService approvals)
    {
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => $"sent {amount} to {to}", "transfer");
        PlanResult plan = await approvals.RunPlanAsync([PlannedAction.Create("transfer", new { to = "bob", amount = 500 }, "c-tr")], ApprovalService.ProtectTools(transfer));
        return plan.PendingApproval!.Id;
    }

    [Fact]
    public async Task Restart_ANewServiceOverTheSameFile_PerformsTheDueEscalation()
    {
        string connection = _files.NewConnectionString();
        FakeTimeProvider time = new(Start);
        Notifier before = new();
        string id = await HoldAsync(Service(connection, time, before));

        time.Advance(After);
        Notifier after = new();
        ApprovalService restarted = Service(connection, time, after);
        await restarted.ExpireDueAsync();

        PendingApproval approval = await restarted.GetAsync(id);
        Assert.Equal(Start + After, approval.FindCall("c-tr")!.EscalatedAt);
        Assert.Single(approval.AuditTrail, e => e.Event == ApprovalAuditEvent.Escalated);
        Assert.Equal(ApprovalNotificationKind.Escalated, Assert.Single(after.Seen).Kind);
        Assert.DoesNotContain(before.Seen, n => n.Kind == ApprovalNotificationKind.Escalated);
        Assert.Equal(CallDecisionStatus.Approved,
            (await restarted.DecideAsync(id, "c-tr", ApprovalDecision.Approve(new Approver("mona", ["manager"])))).FindCall("c-tr")!.Decision);
    }

    [Fact]
    public async Task TwoSweepers_OnOneFile_EscalateOnce_AndTellTheNotifiersOnce()
    {
        for (int round = 0; round < 10; round++)
        {
            string connection = _files.NewConnectionString();
            FakeTimeProvider time = new(Start);
            Notifier first = new();
            Notifier second = new();
            ApprovalService one = Service(connection, time, first);
            ApprovalService two = Service(connection, time, second);
            string id = await HoldAsync(one);
            time.Advance(After);

            using Barrier start = new(2);
            await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); return one.ExpireDueAsync(); }),
                Task.Run(() => { start.SignalAndWait(); return two.ExpireDueAsync(); }));

            Assert.Equal(1, first.Seen.Concat(second.Seen).Count(n => n.Kind == ApprovalNotificationKind.Escalated));
            Assert.Single((await one.GetAsync(id)).AuditTrail, e => e.Event == ApprovalAuditEvent.Escalated);
        }
    }

    [Fact]
    public async Task DecisionRacingASweepOfAnotherService_OneOutcome_NoLostUpdate()
    {
        for (int round = 0; round < 10; round++)
        {
            string connection = _files.NewConnectionString();
            FakeTimeProvider time = new(Start);
            Notifier deciding = new();
            Notifier sweeping = new();
            ApprovalService decider = Service(connection, time, deciding);
            ApprovalService sweeper = Service(connection, time, sweeping);
            string id = await HoldAsync(decider);
            time.Advance(After);

            using Barrier start = new(2);
            await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); return sweeper.ExpireDueAsync(); }),
                Task.Run(() => { start.SignalAndWait(); return decider.DecideAsync(id, "c-tr", ApprovalDecision.Approve(new Approver("cleo", ["clerk"]))); }));

            PendingApproval final = await sweeper.GetAsync(id);
            Assert.Equal((ApprovalStatus.Decided, CallDecisionStatus.Approved), (final.Status, final.FindCall("c-tr")!.Decision));
            int escalations = final.AuditTrail.Count(e => e.Event == ApprovalAuditEvent.Escalated);
            Assert.InRange(escalations, 0, 1);
            Assert.Single(final.AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
            Assert.Equal(escalations, deciding.Seen.Concat(sweeping.Seen).Count(n => n.Kind == ApprovalNotificationKind.Escalated));
        }
    }
}
