using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Attacks on, and misuse of, the plan (router) API: each tries one thing and checks that nothing unapproved ran.</summary>
public sealed class PlanAttackTests
{
    private static PlannedAction BigTransfer(string? id = null, decimal amount = 5000m) => PlannedAction.Create("transfer", new TransferArgs("dave", amount), id);

    private static IList<AITool> Tools(TestBank bank) => ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.DeleteAccount);

    private static async Task<int> StoredCountAsync(TestBank bank) => (await bank.Store.ListAsync(new StateQuery())).Entries.Count;

    [Fact]
    public async Task EmptyActionId_RefusedUpFront_NothingRunsNothingSaved()
    {
        TestBank bank = new();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await bank.Approvals.RunPlanAsync([PlannedAction.Create("check_balance", new { }), BigTransfer(id: "")], Tools(bank)));

        Assert.Equal(0, bank.BalanceChecks);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Fact]
    public async Task WhitespaceActionId_RefusedUpFront_NothingRunsNothingSaved()
    {
        TestBank bank = new();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await bank.Approvals.RunPlanAsync([PlannedAction.Create("check_balance", new { }), BigTransfer(id: "  ")], Tools(bank)));

        Assert.Equal(0, bank.BalanceChecks);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Theory]
    [InlineData("x", "x")]
    [InlineData("action-2", null)] // an explicit id equal to the id the next action gets from its position
    public async Task DuplicateActionIds_ArgumentException_NothingRunsNothingSaved(string firstId, string? secondId)
    {
        TestBank bank = new();
        PlannedAction[] plan = [PlannedAction.Create("check_balance", new { }, firstId), BigTransfer(secondId), PlannedAction.Create("check_balance", new { })];

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => bank.Approvals.RunPlanAsync(plan, Tools(bank)));

        Assert.Contains("two actions with id", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, bank.BalanceChecks);
        Assert.Empty(bank.Transfers);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Fact]
    public async Task UnknownToolAfterAGatedAction_NothingRunsNothingSaved()
    {
        TestBank bank = new();
        PlannedAction[] plan = [PlannedAction.Create("check_balance", new { }), BigTransfer(), PlannedAction.Create("launch_missiles", new { })];

        await Assert.ThrowsAsync<InvalidOperationException>(() => bank.Approvals.RunPlanAsync(plan, Tools(bank)));

        Assert.Equal(0, bank.BalanceChecks);
        Assert.Empty(bank.Transfers);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Fact]
    public async Task EmptyPlan_NoOutcomes_NoApproval_NothingSaved()
    {
        TestBank bank = new();

        PlanResult result = await bank.Approvals.RunPlanAsync([], Tools(bank));

        Assert.Empty(result.Actions);
        Assert.Null(result.PendingApproval);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Fact]
    public async Task ActionNameDiffersOnlyInCase_NotMatchedToTheTool_NothingRuns()
    {
        TestBank bank = new();

        await Assert.ThrowsAsync<InvalidOperationException>(() => bank.Approvals.RunPlanAsync([PlannedAction.Create("Transfer", new TransferArgs("dave", 5000m))], Tools(bank)));

        Assert.Empty(bank.Transfers);
        Assert.Equal(0, await StoredCountAsync(bank));
    }

    [Fact]
    public async Task ManyHeldActions_AllApproved_EachRunsExactlyOnce_WithItsOwnIdempotencyKey()
    {
        TestBank bank = new();
        PlannedAction[] plan = [.. Enumerable.Range(1, 60).Select(i => PlannedAction.Create("transfer", new TransferArgs("dave", 1000m + i), $"t{i}"))];
        PlanResult first = await bank.Approvals.RunPlanAsync(plan, Tools(bank));
        string id = first.PendingApproval!.Id;
        Assert.Equal(60, first.PendingApproval.Calls.Count);
        foreach (PendingToolCall call in first.PendingApproval.Calls)
        {
            await bank.Approvals.DecideAsync(id, call.CallId, ApprovalDecision.Approve(TestBank.Alice));
        }

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        Assert.All(resumed.Actions, a => Assert.Equal(CallExecutionStatus.Succeeded, a.Execution));
        Assert.Equal(Enumerable.Range(1, 60).Select(i => 1000m + i), bank.Transfers.Select(t => t.Amount));
        Assert.Equal(60, bank.Transfers.Select(t => t.IdempotencyKey).Distinct().Count());
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank)));
        Assert.Equal(60, bank.Transfers.Count);
    }

    [Fact]
    public async Task ArgumentsRewrittenInTheStoreAfterApproval_IntegrityError_NothingRuns()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer()], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-1", ApprovalDecision.Approve(TestBank.Alice));
        StateEntry stored = (await bank.Store.GetAsync(id))!;
        Assert.Contains("\"to\":\"dave\"", stored.Data, StringComparison.Ordinal);
        string tampered = stored.Data.Replace("\"to\":\"dave\"", "\"to\":\"mallory\"", StringComparison.Ordinal);
        Assert.True(await bank.Store.TryUpdateAsync(stored with { Data = tampered, Version = stored.Version + 1 }, stored.Version));

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank)));

        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task HeldActionApprovedWithEdits_RunsTheEditedArgumentsOnly_Once()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer()], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-1",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "dave", ["amount"] = 250m }));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        Assert.Equal(CallExecutionStatus.Succeeded, Assert.Single(resumed.Actions).Execution);
        Assert.Equal([("dave", 250m)], bank.Transfers.Select(t => (t.To, t.Amount)));
    }

    [Fact]
    public async Task PlanApprovalResumedAsAStream_Refused_NothingRuns_StillResumableOnceAsAPlan()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer()], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-1", ApprovalDecision.Approve(TestBank.Alice));

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (ChatResponseUpdate update in bank.Approvals.ResumeStreamingAsync(id, bank.Client, bank.ChatOptions()))
            {
                _ = update;
            }
        });

        Assert.Empty(bank.Transfers);
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(id)).Status);
        await bank.Approvals.ResumePlanAsync(id, Tools(bank));
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ResumeWithoutTheHeldTool_Refused_ApprovalUnchanged_ThenRunsOnce()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer()], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-1", ApprovalDecision.Approve(TestBank.Alice));
        long version = (await bank.Store.GetAsync(id))!.Version;

        await Assert.ThrowsAsync<ApprovalToolMissingException>(() => bank.Approvals.ResumePlanAsync(id, ApprovalService.ProtectTools(bank.CheckBalance)));

        Assert.Equal(version, (await bank.Store.GetAsync(id))!.Version);
        await bank.Approvals.ResumePlanAsync(id, Tools(bank));
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ApprovedActionThatThrows_FailedOnce_NeverRetried()
    {
        TestBank bank = new();
        int attempts = 0;
        bank.BeforeTransfer = () =>
        {
            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException("bank offline");
        };
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer()], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-1", ApprovalDecision.Approve(TestBank.Alice));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        Assert.Equal(CallExecutionStatus.Failed, Assert.Single(resumed.Actions).Execution);
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank)));
        Assert.Equal(1, attempts);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task AllowedActionThatThrows_Failed_LaterActionsStillRun_HeldActionStillSaved()
    {
        TestBank bank = new();
        bank.BeforeTransfer = () => throw new InvalidOperationException("bank offline");
        PlannedAction[] plan = [BigTransfer(), PlannedAction.Create("transfer", new TransferArgs("bob", 50m)), PlannedAction.Create("check_balance", new { })];

        PlanResult result = await bank.Approvals.RunPlanAsync(plan, Tools(bank));

        Assert.Equal(
            [CallExecutionStatus.NotStarted, CallExecutionStatus.Failed, CallExecutionStatus.Succeeded],
            result.Actions.Select(a => a.Execution));
        Assert.Equal(1, bank.BalanceChecks);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(result.PendingApproval!.Id)).Status);
    }

    [Fact]
    public async Task CancelledWhileRunningAllowedActions_LaterActionsDoNotRun_HeldApprovalKeptPending()
    {
        TestBank bank = new();
        using CancellationTokenSource cancel = new();
        bank.BeforeTransfer = async () =>
        {
            await cancel.CancelAsync();
            cancel.Token.ThrowIfCancellationRequested();
        };
        CallerContext context = new() { ConversationId = "conv-cancel-plan" };
        PlannedAction[] plan = [BigTransfer(), PlannedAction.Create("transfer", new TransferArgs("bob", 50m)), PlannedAction.Create("check_balance", new { })];

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bank.Approvals.RunPlanAsync(plan, Tools(bank), context, cancel.Token));

        Assert.Equal(0, bank.BalanceChecks);
        Assert.Empty(bank.Transfers);
        StateEntry held = Assert.Single((await bank.Store.ListAsync(new StateQuery { ConversationId = "conv-cancel-plan" })).Entries);
        Assert.Equal(ApprovalStatus.Pending, held.Status);
    }

    [Fact]
    public async Task CancelledWhileAnApprovedActionRuns_InterruptedOneNeverRerun_OtherRunsOnce()
    {
        TestBank bank = new();
        using CancellationTokenSource cancel = new();
        bank.BeforeTransfer = async () =>
        {
            await cancel.CancelAsync();
            cancel.Token.ThrowIfCancellationRequested();
        };
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer("a"), BigTransfer("b", 6000m)], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "a", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.DecideAsync(id, "b", ApprovalDecision.Approve(TestBank.Alice));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank), cancel.Token));
        bank.BeforeTransfer = null;
        ApprovalConflictException conflict = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank)));
        Assert.Equal(ApprovalStatus.InDoubt, conflict.Status);
        Assert.Equal(CallExecutionStatus.InDoubt, (await bank.Approvals.GetAsync(id)).FindCall("a")!.Execution);
        await bank.Approvals.ResolveInDoubtAsync(id, "a", TestBank.Alice, tookEffect: false, "not on the statement");
        PlanResult finished = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        // The interrupted action is never run again; the other approved one ran exactly once in all.
        Assert.Equal([6000m], bank.Transfers.Select(t => t.Amount));
        Assert.Equal([CallExecutionStatus.NotRun, CallExecutionStatus.Succeeded], finished.Actions.Select(a => a.Execution));
    }

    [Fact]
    public async Task OneApprovedOneRejected_OnlyTheApprovedRuns()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer("a"), BigTransfer("b", 7000m)], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "a", ApprovalDecision.Reject(TestBank.Alice, "no"));
        await bank.Approvals.DecideAsync(id, "b", ApprovalDecision.Approve(TestBank.Alice));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        Assert.Equal([CallExecutionStatus.NotRun, CallExecutionStatus.Succeeded], resumed.Actions.Select(a => a.Execution));
        Assert.Equal([7000m], bank.Transfers.Select(t => t.Amount));
    }

    [Fact]
    public async Task ExpiredWithOneActionApproved_NothingRuns_LateDecisionRefused()
    {
        TestBank bank = new();
        PlanResult plan = await bank.Approvals.RunPlanAsync([BigTransfer("a"), BigTransfer("b", 7000m)], Tools(bank));
        string id = plan.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "a", ApprovalDecision.Approve(TestBank.Alice));
        bank.Time.SetUtcNow(plan.PendingApproval.ExpiresAt);

        await Assert.ThrowsAsync<ApprovalExpiredException>(() => bank.Approvals.DecideAsync(id, "b", ApprovalDecision.Approve(TestBank.Alice)));
        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, Tools(bank));

        Assert.All(resumed.Actions, a => Assert.Equal(CallExecutionStatus.NotRun, a.Execution));
        Assert.Empty(bank.Transfers);
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumePlanAsync(id, Tools(bank)));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task ArgumentsThePolicyCannotRead_HeldNotAllowed_AndTheToolNeverRunsThem()
    {
        TestBank bank = new();
        PlannedAction odd = new("transfer", JsonElement.Parse("""{"to":"dave","amount":"lots"}"""));

        PlanResult plan = await bank.Approvals.RunPlanAsync([odd], Tools(bank));
        Assert.Equal(CallDecisionStatus.AwaitingApproval, Assert.Single(plan.Actions).Decision);
        await bank.Approvals.DecideAsync(plan.PendingApproval!.Id, "action-1", ApprovalDecision.Approve(TestBank.Alice));
        PlanResult resumed = await bank.Approvals.ResumePlanAsync(plan.PendingApproval.Id, Tools(bank));

        Assert.Equal(CallExecutionStatus.Failed, Assert.Single(resumed.Actions).Execution);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task ArgumentNamesInAnotherCase_PolicyStillSeesTheAmount_NothingRunsUndecided()
    {
        TestBank bank = new();
        PlannedAction shouted = new("transfer", JsonElement.Parse("""{"To":"dave","Amount":5000}"""));

        PlanResult plan = await bank.Approvals.RunPlanAsync([shouted], Tools(bank));

        Assert.Equal(CallDecisionStatus.AwaitingApproval, Assert.Single(plan.Actions).Decision);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public void NonObjectArguments_JsonException_AtConstruction() =>
        Assert.Throws<JsonException>(() => new PlannedAction("transfer", JsonElement.Parse("[5000]")));

    [Fact]
    public async Task AllowedAction_ThroughAWrapperAroundAProtectedTool_TheWrapperIsHonoured()
    {
        TestBank bank = new();
        AIFunction guarded = new RefusingFunction(ApprovalService.ProtectTools(bank.CheckBalance)[0] as AIFunction ?? throw new InvalidOperationException());

        PlanResult result = await bank.Approvals.RunPlanAsync([PlannedAction.Create("check_balance", new { })], [guarded]);

        Assert.Equal(CallExecutionStatus.Failed, Assert.Single(result.Actions).Execution);
        Assert.Equal(0, bank.BalanceChecks);
    }

    /// <summary>A caller's own guard around a tool (tenant check, rate limit): it refuses every call.</summary>
    private sealed class RefusingFunction(AIFunction inner) : DelegatingAIFunction(inner)
    {
        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            throw new UnauthorizedAccessException("The tenant guard refused the call.");
    }
}
