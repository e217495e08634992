using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

public sealed class PlanTests
{
    private static PlannedAction[] MixedPlan() =>
    [
        PlannedAction.Create("check_balance", new { }),
        PlannedAction.Create("transfer", new TransferArgs("bob", 50m)),
        PlannedAction.Create("transfer", new TransferArgs("dave", 5000m)),
        PlannedAction.Create("delete_account", new { }),
    ];

    [Fact]
    public async Task MixedPlan_AllowedRunAtOnce_DeniedNever_GatedHeldTogether()
    {
        TestBank bank = new();
        CallerContext context = new() { ConversationId = "conv-plan", UserId = "carol" };

        PlanResult result = await bank.Approvals.RunPlanAsync(MixedPlan(), ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.DeleteAccount), context);

        Assert.Equal(
            [CallDecisionStatus.AutoAllowed, CallDecisionStatus.AutoAllowed, CallDecisionStatus.AwaitingApproval, CallDecisionStatus.Denied],
            result.Actions.Select(a => a.Decision));
        Assert.Equal(1, bank.BalanceChecks);
        Assert.Equal([50m], bank.Transfers.Select(t => t.Amount));
        Assert.Equal(0, bank.Deletes);

        PendingApproval pending = Assert.IsType<PendingApproval>(result.PendingApproval);
        Assert.Equal(ApprovalOrigin.ActionPlan, pending.Origin);
        PendingToolCall held = Assert.Single(pending.Calls);
        Assert.Equal(("action-3", "transfer"), (held.CallId, held.ToolName));
        Assert.Equal(new TransferArgs("dave", 5000m), held.GetArguments<TransferArgs>());
        Assert.Equal("conv-plan", pending.Context.ConversationId);
    }

    [Fact]
    public async Task HeldAction_ApprovedThenResumed_RunsOnce_SecondResumeConflicts()
    {
        TestBank bank = new();
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.DeleteAccount);
        PlanResult first = await bank.Approvals.RunPlanAsync(MixedPlan(), tools);
        string id = first.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-3", ApprovalDecision.Approve(TestBank.Alice));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, tools);

        ActionOutcome outcome = Assert.Single(resumed.Actions);
        Assert.Equal((CallDecisionStatus.Approved, CallExecutionStatus.Succeeded), (outcome.Decision, outcome.Execution));
        Assert.Equal([50m, 5000m], bank.Transfers.Select(t => t.Amount));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumePlanAsync(id, tools));
        Assert.Equal(2, bank.Transfers.Count);
    }

    [Fact]
    public async Task HeldAction_Rejected_NeverRuns()
    {
        TestBank bank = new();
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.DeleteAccount);
        PlanResult first = await bank.Approvals.RunPlanAsync(MixedPlan(), tools);
        await bank.Approvals.DecideAsync(first.PendingApproval!.Id, "action-3", ApprovalDecision.Reject(TestBank.Alice, "no"));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(first.PendingApproval.Id, tools);

        Assert.Equal(CallExecutionStatus.NotRun, resumed.Actions[0].Execution);
        Assert.Equal("no", resumed.Actions[0].Reason);
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task PlanApproval_CannotBeResumedAsAConversation_AndViceVersa()
    {
        TestBank bank = new();
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.DeleteAccount);
        PlanResult plan = await bank.Approvals.RunPlanAsync(MixedPlan(), tools);
        await bank.Approvals.DecideAsync(plan.PendingApproval!.Id, "action-3", ApprovalDecision.Approve(TestBank.Alice));
        PendingApproval chat = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(chat.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        await Assert.ThrowsAsync<InvalidOperationException>(() => bank.Approvals.ResumeAsync(plan.PendingApproval.Id, bank.Client, bank.ChatOptions()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => bank.Approvals.ResumePlanAsync(chat.Id, tools));
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ActionNamingAnUnknownTool_NothingRuns()
    {
        TestBank bank = new();
        PlannedAction[] plan = [PlannedAction.Create("check_balance", new { }), PlannedAction.Create("launch_missiles", new { })];

        await Assert.ThrowsAsync<InvalidOperationException>(() => bank.Approvals.RunPlanAsync(plan, ApprovalService.ProtectTools(bank.CheckBalance)));
        Assert.Equal(0, bank.BalanceChecks);
    }
}
