using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Standing grants through the gate: made with an approval, matched on later calls, bounded, expiring, revocable, never wider than Deny.</summary>
public sealed class GrantTests
{
    private static readonly GrantTerms BobUpTo200 = new(GrantScope.User, TimeSpan.FromHours(8), GrantArgumentBound.Equal("to", "bob"), GrantArgumentBound.AtMost("amount", 200m));

    private static TestBank GrantBank(Action<ApprovalOptions>? configure = null)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Granters.Add("approver");
        configure?.Invoke(options);
        return new TestBank(options);
    }

    private static ChatOptions Caller(TestBank bank, string userId = "carol", string tenantId = "t1", string conversationId = "conv-1") =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.Deposit, bank.DeleteAccount) }
            .WithCallerContext(new CallerContext { ConversationId = conversationId, UserId = userId, TenantId = tenantId });

    /// <summary>Holds "transfer 150 to bob" for carol and approves it with the grant; returns the grant.</summary>
    private static async Task<ApprovalGrant> GrantAsync(TestBank bank, bool streaming, GrantTerms? terms = null, Approver? approver = null, ChatOptions? caller = null)
    {
        Outcome held = await bank.SendAsync("transfer 150 to bob", streaming, caller);
        PendingApproval pending = held.Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(approver ?? TestBank.Alice, "fine") with { Grant = terms ?? BobUpTo200 });
        return Assert.Single(await bank.Approvals.Grants.ListAsync().ToListAsync());
    }

    private static async Task<List<RecordedCall>> CallRecordsAsync(TestBank bank)
    {
        await bank.Approvals.FlushCallRecordsAsync();
        return [.. (await bank.Approvals.History.ReadAsync().ToListAsync()).Where(c => c.ApprovalId is null)];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_MatchingLaterCall_RunsWithoutPerson_RecordedAsAllowedByGrant(bool streaming)
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, streaming);
        Assert.Equal(("transfer", GrantScope.User, "carol", "t1", "alice"), (grant.ToolName, grant.Scope, grant.ScopeId, grant.TenantId, grant.GrantedBy));
        Assert.Equal(TestBank.Start + TimeSpan.FromHours(8), grant.ExpiresAt);
        Assert.Contains((await bank.Approvals.GetAsync(grant.ApprovalId)).AuditTrail, e => e.Event == ApprovalAuditEvent.GrantIssued && e.Reason!.Contains(grant.Id, StringComparison.Ordinal));

        Outcome later = await bank.SendAsync("transfer 200 to bob", streaming);

        Assert.Null(later.Error);
        Assert.Equal([("bob", 200m)], bank.Transfers.Select(t => (t.To, t.Amount)));
        RecordedCall record = Assert.Single(await CallRecordsAsync(bank));
        Assert.Equal((CallOutcome.AllowedByGrant, grant.Id, "alice"), (record.Outcome, record.GrantId, record.DecidedBy));
        Assert.Equal(PolicyVerdictKind.RequireApproval, record.Verdict.Kind);
        Assert.True(record.IsAutomated);

        AutomationReport report = await bank.Approvals.History.ReportAsync();
        Assert.Equal((2, 1, 1), (report.Total.Seen, report.Total.AllowedByGrant, report.Total.Approved));
        Assert.Equal(0.5, report.Total.AutomationRate);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_CallOutsideItsBounds_IsStillHeld(bool streaming)
    {
        TestBank bank = GrantBank();
        await GrantAsync(bank, streaming);

        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 250 to bob", streaming)).Error);
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 150 to dave", streaming)).Error);
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 150 to bob", streaming, Caller(bank, userId: "erin"))).Error);
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 150 to bob", streaming, Caller(bank, tenantId: "t2"))).Error);

        Assert.Empty(bank.Transfers);
        Assert.Empty(await CallRecordsAsync(bank));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_AfterExpiresAt_AllowsNothing(bool streaming)
    {
        TestBank bank = GrantBank(o => o.DefaultExpiration = TimeSpan.FromDays(2));
        ApprovalGrant grant = await GrantAsync(bank, streaming);

        bank.Time.SetUtcNow(grant.ExpiresAt - TimeSpan.FromSeconds(1));
        Assert.Null((await bank.SendAsync("transfer 120 to bob", streaming)).Error);
        bank.Time.SetUtcNow(grant.ExpiresAt);
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 130 to bob", streaming)).Error);

        Assert.Equal([120m], bank.Transfers.Select(t => t.Amount));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_Revoked_NextCallHeld(bool streaming)
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, streaming);
        Assert.Null((await bank.SendAsync("transfer 120 to bob", streaming)).Error);

        ApprovalGrant revoked = await bank.Approvals.Grants.RevokeAsync(grant.Id, TestBank.Alice, "no longer needed");

        Assert.Equal(("alice", "no longer needed"), (revoked.RevokedBy, revoked.RevokeReason));
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 130 to bob", streaming)).Error);
        Assert.Equal([120m], bank.Transfers.Select(t => t.Amount));
        ApprovalGrant again = await bank.Approvals.Grants.RevokeAsync(grant.Id, TestBank.Alice, "twice");
        Assert.Equal("no longer needed", again.RevokeReason);
    }

    [Fact]
    public async Task Grant_RevokeRacingManyCalls_NoCallStartedAfterRevokeReturnedIsAllowed()
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, streaming: false);
        int completed = 0;
        int revokeReturned = 0;
        TaskCompletionSource enoughCalls = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = new System.Collections.Concurrent.ConcurrentBag<(bool StartedAfterRevoke, bool Allowed)>();

        async Task WorkerAsync(int worker)
        {
            int afterRevoke = 0;
            for (int i = 0; afterRevoke < 5 && i < 10_000; i++)
            {
                bool startedAfter = Volatile.Read(ref revokeReturned) == 1;
                Outcome outcome = await bank.SendAsync($"transfer {101 + (i % 90)} to bob", streaming: (worker + i) % 2 == 0);
                Assert.True(outcome.Error is null or PendingApprovalException, outcome.Error?.ToString());
                results.Add((startedAfter, outcome.Error is null));
                afterRevoke += startedAfter ? 1 : 0;
                if (Interlocked.Increment(ref completed) == 20)
                {
                    enoughCalls.TrySetResult();
                }
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 6).Select(w => Task.Run(() => WorkerAsync(w)))];
        await enoughCalls.Task;
        await bank.Approvals.Grants.RevokeAsync(grant.Id, TestBank.Alice, "racing");
        Volatile.Write(ref revokeReturned, 1);
        await Task.WhenAll(workers);

        Assert.Contains(results, r => !r.StartedAfterRevoke && r.Allowed);
        Assert.Equal(30, results.Count(r => r.StartedAfterRevoke));
        Assert.DoesNotContain(results, r => r.StartedAfterRevoke && r.Allowed);
        Assert.Equal(results.Count(r => r.Allowed), bank.Transfers.Count);
        await bank.Approvals.FlushCallRecordsAsync();
        Assert.Equal(results.Count(r => r.Allowed), (await CallRecordsAsync(bank)).Count(c => c.Outcome == CallOutcome.AllowedByGrant));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_DenyPolicy_OverridesGrant(bool streaming)
    {
        TestBank bank = GrantBank(o => o.Policies.Add(ApprovalPolicy.Named("NoBigTransfers", ApprovalPolicy.Create(c =>
            c.ToolName == "transfer" && c.GetArguments<TransferArgs>().Amount > 1000 ? PolicyVerdict.Deny("Too much.") : PolicyVerdict.NotApplicable))));
        await GrantAsync(bank, streaming, new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(1)));

        Outcome big = await bank.SendAsync("transfer 5000 to bob", streaming);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Outcome small = await bank.SendAsync("transfer 900 to bob", streaming);

        Assert.Null(big.Error);
        Assert.Contains("denied by policy", big.Response!.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single().Result!.ToString(), StringComparison.Ordinal);
        Assert.Null(small.Error);
        Assert.Equal([900m], bank.Transfers.Select(t => t.Amount));
        List<RecordedCall> records = await CallRecordsAsync(bank);
        Assert.Equal([CallOutcome.Denied, CallOutcome.AllowedByGrant], records.Select(r => r.Outcome));
        Assert.Equal(["NoBigTransfers"], records[0].Verdict.Policies);
        Assert.Null(records[0].GrantId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_ByApproverNotInGranters_ForbiddenAndNothingSaved(bool streaming)
    {
        TestBank bank = GrantBank();
        PendingApproval pending = (await bank.SendAsync("transfer 150 to bob", streaming)).Pending;

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob) with { Grant = BobUpTo200 }));

        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal((ApprovalStatus.Pending, CallDecisionStatus.AwaitingApproval), (stored.Status, stored.Calls[0].Decision));
        Assert.DoesNotContain(stored.AuditTrail, e => e.Event is ApprovalAuditEvent.GrantIssued or ApprovalAuditEvent.Approved);
        Assert.Empty(await bank.Approvals.Grants.ListAsync().ToListAsync());
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 150 to bob", streaming)).Error);
    }

    [Fact]
    public async Task Grant_NoGrantersConfigured_EvenApproverIsForbidden()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 150 to bob", streaming: false)).Pending;

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice) with { Grant = BobUpTo200 }));
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
        Assert.Empty(await bank.Approvals.Grants.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task Grant_OnCallNeedingTwoApprovers_Refused()
    {
        TestBank bank = GrantBank(o =>
        {
            o.Policies.Clear();
            o.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "transfer" ? PolicyVerdict.RequireApproval("Two people.", requiredApprovals: 2) : PolicyVerdict.Allow));
            o.Granters.Add("dave");
        });
        PendingApproval pending = (await bank.SendAsync("transfer 150 to bob", streaming: false)).Pending;

        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("dave")) with { Grant = BobUpTo200 }));

        Assert.Equal(CallDecisionStatus.AwaitingApproval, (await bank.Approvals.GetAsync(pending.Id)).Calls[0].Decision);
        Assert.Empty(await bank.Approvals.Grants.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task Grant_FirstOfTwoApproversAsksForGrant_RefusedAndSignOffNotSaved()
    {
        TestBank bank = GrantBank(o =>
        {
            o.Policies.Clear();
            o.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "transfer" ? PolicyVerdict.RequireApproval("Two people.", requiredApprovals: 2) : PolicyVerdict.Allow));
        });
        PendingApproval pending = (await bank.SendAsync("transfer 150 to bob", streaming: false)).Pending;

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() =>
            bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice) with { Grant = BobUpTo200 }));

        PendingApproval stored = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(pending.Version, stored.Version);
        Assert.Equal(pending.AuditTrail.Count, stored.AuditTrail.Count);
        Assert.Empty(await bank.Approvals.Grants.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task Grant_ThroughRouterPlan_AllowsMatchingActionAndRecordsIt()
    {
        TestBank bank = GrantBank();
        CallerContext context = new() { ConversationId = "conv-plan", UserId = "carol", TenantId = "t1" };
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance);

        PlanResult first = await bank.Approvals.RunPlanAsync([PlannedAction.Create("transfer", new TransferArgs("bob", 150m))], tools, context);
        PendingApproval pending = Assert.IsType<PendingApproval>(first.PendingApproval);
        await bank.Approvals.DecideAsync(pending.Id, "action-1", ApprovalDecision.Approve(TestBank.Alice) with { Grant = BobUpTo200 });
        ApprovalGrant grant = Assert.Single(await bank.Approvals.Grants.ListAsync().ToListAsync());

        PlanResult second = await bank.Approvals.RunPlanAsync(
            [PlannedAction.Create("transfer", new TransferArgs("bob", 180m)), PlannedAction.Create("transfer", new TransferArgs("bob", 250m))], tools, context);

        Assert.Equal([CallDecisionStatus.AutoAllowed, CallDecisionStatus.AwaitingApproval], second.Actions.Select(a => a.Decision));
        Assert.Equal([180m], bank.Transfers.Select(t => t.Amount));
        RecordedCall record = Assert.Single(await CallRecordsAsync(bank));
        Assert.Equal((CallOutcome.AllowedByGrant, grant.Id, "alice", 180m), (record.Outcome, record.GrantId, record.DecidedBy, record.Arguments.GetProperty("amount").GetDecimal()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grant_PreventSelfApproval_GrantorsOwnCallsStillHeld(bool streaming)
    {
        TestBank bank = GrantBank(o => o.PreventSelfApproval = true);
        Approver dave = new("dave", ["approver"]);
        await GrantAsync(bank, streaming, new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(1)), dave);

        Outcome own = await bank.SendAsync("transfer 150 to bob", streaming, Caller(bank, userId: "dave"));
        Outcome other = await bank.SendAsync("transfer 160 to bob", streaming, Caller(bank, userId: "erin"));

        Assert.IsType<PendingApprovalException>(own.Error);
        Assert.Null(other.Error);
        Assert.Equal([160m], bank.Transfers.Select(t => t.Amount));
    }

    [Fact]
    public async Task Grant_WithoutPreventSelfApproval_GrantorsOwnCallsAllowed()
    {
        TestBank bank = GrantBank();
        await GrantAsync(bank, false, new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(1)), new Approver("dave", ["approver"]));

        Assert.Null((await bank.SendAsync("transfer 150 to bob", false, Caller(bank, userId: "dave"))).Error);
    }

    [Fact]
    public async Task Grant_GrantorNotAmongCallsApprovers_DoesNotCoverIt()
    {
        TestBank bank = GrantBank(o => o.Policies.Insert(0, ApprovalPolicy.Create(c =>
            c.ToolName == "transfer" && c.GetArguments<TransferArgs>().To == "treasury" ? PolicyVerdict.RequireApproval("Treasury only.", ["treasurer"]) : PolicyVerdict.NotApplicable)));
        await GrantAsync(bank, false, new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(1)));

        Assert.IsType<PendingApprovalException>((await bank.SendAsync("transfer 150 to treasury", false)).Error);
        Assert.Null((await bank.SendAsync("transfer 150 to dave", false)).Error);
    }

    [Fact]
    public async Task Revoke_ByNeitherMakerNorGranter_ForbiddenAndGrantStands()
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, false);

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.Grants.RevokeAsync(grant.Id, TestBank.Bob, "mine now"));

        Assert.Null((await bank.Approvals.Grants.GetAsync(grant.Id)).RevokedAt);
        Assert.Null((await bank.SendAsync("transfer 150 to bob", false)).Error);
    }

    [Fact]
    public async Task Revoke_ByAnotherGranter_Revokes()
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, false);

        ApprovalGrant revoked = await bank.Approvals.Grants.RevokeAsync(grant.Id, new Approver("frank", ["approver"]), "audit");

        Assert.Equal("frank", revoked.RevokedBy);
        Assert.Equal(TestBank.Start, revoked.RevokedAt);
        Assert.False((await bank.Approvals.Grants.GetAsync(grant.Id)).IsInForceAt(TestBank.Start));
    }

    [Fact]
    public async Task UnknownGrant_GetAndRevoke_ThrowGrantNotFound()
    {
        TestBank bank = GrantBank();

        GrantNotFoundException get = await Assert.ThrowsAsync<GrantNotFoundException>(() => bank.Approvals.Grants.GetAsync("grt_missing"));
        await Assert.ThrowsAsync<GrantNotFoundException>(() => bank.Approvals.Grants.RevokeAsync("grt_missing", TestBank.Alice, "gone"));
        Assert.Equal("grt_missing", get.GrantId);
    }

    [Fact]
    public async Task Grant_HeldBatchWithCoveredCall_CoveredCallRecordedInApprovalAsAllowedByGrant()
    {
        TestBank bank = GrantBank();
        ApprovalGrant grant = await GrantAsync(bank, false);
        bank.Model.Respond = _ => ScriptedChatClient.Calls(TestBank.TransferCall("c-a", "bob", 150m), TestBank.TransferCall("c-b", "dave", 150m));

        PendingApproval pending = (await bank.SendAsync("two transfers", false)).Pending;

        Assert.Equal([CallDecisionStatus.AutoAllowed, CallDecisionStatus.AwaitingApproval], pending.Calls.Select(c => c.Decision));
        Assert.Equal(grant.Id, pending.Calls[0].GrantId);
        List<RecordedCall> calls = [.. (await bank.Approvals.History.ReadAsync().ToListAsync()).Where(c => c.ApprovalId == pending.Id)];
        Assert.Equal([CallOutcome.AllowedByGrant, CallOutcome.Awaiting], calls.Select(c => c.Outcome));
        Assert.Equal(("alice", grant.Id), (calls[0].DecidedBy, calls[0].GrantId));
    }
}
