using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// Tools marked with Microsoft.Extensions.AI's own ApprovalRequiredAIFunction: held for a person by HumanInLoop's gate through a
/// named, overridable policy, and never asked about a second time by function invocation.
/// </summary>
public sealed class ApprovalRequiredAIFunctionTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    private static ChatOptions MarkedTransfer(TestBank bank) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(new ApprovalRequiredAIFunction(bank.Transfer), bank.CheckBalance) }
            .WithCallerContext(new CallerContext { ConversationId = "conv-1", UserId = "carol" });

    private static IEnumerable<AIContent> Contents(Outcome outcome) =>
        outcome.Updates.SelectMany(u => u.Contents).Concat(outcome.Response?.Messages.SelectMany(m => m.Contents) ?? []);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkedTool_ASmallTransferThePoliciesAllow_IsHeldForAPerson_RecordedAsTheMarkerPolicy(bool streaming)
    {
        TestBank bank = new(); // its policies allow transfers up to $100 and check_balance

        Outcome outcome = await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "balance and transfer 50 to bob")], MarkedTransfer(bank), streaming);

        PendingApproval pending = outcome.Pending;
        PendingToolCall transfer = pending.FindCall("c-tr")!;
        Assert.Equal(CallDecisionStatus.AwaitingApproval, transfer.Decision);
        Assert.Equal([ApprovalPolicy.ApprovalRequiredAIFunctionName], transfer.Policies);
        Assert.Contains("ApprovalRequiredAIFunction", transfer.PolicyReason, StringComparison.Ordinal);
        Assert.Equal(CallDecisionStatus.AutoAllowed, pending.FindCall("c-bal")!.Decision); // a harmless call of the same response asks nobody
        Assert.Empty(bank.Transfers);
        Assert.Empty(Contents(outcome).OfType<ToolApprovalRequestContent>());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkedTool_Approved_ResumeRunsItOnce_AndFunctionInvocationAsksNothing(bool streaming)
    {
        TestBank bank = new();
        ChatOptions options = MarkedTransfer(bank);
        PendingApproval pending = (await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "transfer 50 to bob")], options, streaming)).Pending;

        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        List<AIContent> resumed = [];
        if (streaming)
        {
            await foreach (ChatResponseUpdate update in bank.Approvals.ResumeStreamingAsync(pending.Id, bank.Client, options))
            {
                resumed.AddRange(update.Contents);
            }
        }
        else
        {
            resumed.AddRange((await bank.Approvals.ResumeAsync(pending.Id, bank.Client, options)).Messages.SelectMany(m => m.Contents));
        }

        Assert.Equal(("bob", 50m), bank.Transfers.Select(t => (t.To, t.Amount)).Single());
        Assert.Empty(resumed.OfType<ToolApprovalRequestContent>());
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkerPolicyTurnedOff_MarkedToolRunsOnThePoliciesAlone_FunctionInvocationDoesNotAskASecondTime(bool streaming)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.ApprovalRequiredAIFunctionPolicy = null;
        TestBank bank = new(options);

        Outcome outcome = await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "transfer 50 to bob")], MarkedTransfer(bank), streaming);

        Assert.Null(outcome.Error);
        Assert.Equal(("bob", 50m), bank.Transfers.Select(t => (t.To, t.Amount)).Single());
        Assert.Empty(Contents(outcome).OfType<ToolApprovalRequestContent>());
        Assert.Contains("Done. c-tr=sent 50 to bob", outcome.Response!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkedTool_ADenyPolicyStillRefusesIt(bool streaming)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.Deny("transfer", "No transfers today."));
        TestBank bank = new(options);

        Outcome outcome = await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "transfer 50 to bob")], MarkedTransfer(bank), streaming);

        Assert.Null(outcome.Error);
        Assert.Empty(bank.Transfers);
        Assert.Contains("No transfers today.", outcome.Response!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkerPolicyOverridden_ItsApproversAndReasonApply(bool streaming)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.ApprovalRequiredAIFunctionPolicy = ApprovalPolicy.ApprovalRequiredAIFunctions("Operations decide marked tools.", approvers: ["ops"]);
        TestBank bank = new(options);

        PendingToolCall transfer = (await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "transfer 50 to bob")], MarkedTransfer(bank), streaming))
            .Pending.Calls.Single();

        Assert.Equal(["ops"], transfer.Approvers);
        Assert.Equal("Operations decide marked tools.", transfer.PolicyReason);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task MarkerOutsideTheProtection_RefusedBeforeTheModelIsAsked(bool streaming)
    {
        TestBank bank = new();
        ChatOptions options = new() { Tools = [new ApprovalRequiredAIFunction((AIFunction)ApprovalService.ProtectTools(bank.Transfer)[0])] };

        Outcome outcome = await Outcome.CaptureAsync(bank.Client, [new ChatMessage(ChatRole.User, "transfer 50 to bob")], options, streaming);

        InvalidOperationException error = Assert.IsType<InvalidOperationException>(outcome.Error);
        Assert.Contains("ProtectTools(new ApprovalRequiredAIFunction(tool))", error.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Model.Requests);
    }

    [Fact]
    public void ProtectedMarkedTool_HidesTheMarkerFromFunctionInvocation_ButPoliciesSeeIt()
    {
        TestBank bank = new();
        AITool marked = ApprovalService.ProtectTools(new ApprovalRequiredAIFunction(bank.Transfer))[0];

        Assert.Null(marked.GetService<ApprovalRequiredAIFunction>());
        Assert.True(GateProtectedFunction.IsMarkedApprovalRequired(marked));
        Assert.False(GateProtectedFunction.IsMarkedApprovalRequired(ApprovalService.ProtectTools(bank.Transfer)[0]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Plan_MarkedTool_HeldLikeAToolCall_UnlessTheMarkerPolicyIsOff(bool markerPolicyOn)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        if (!markerPolicyOn)
        {
            options.ApprovalRequiredAIFunctionPolicy = null;
        }

        TestBank bank = new(options);

        PlanResult result = await bank.Approvals.RunPlanAsync(
            [PlannedAction.Create("transfer", new TransferArgs("bob", 50m))], [new ApprovalRequiredAIFunction(bank.Transfer)], new CallerContext { ConversationId = "conv-1" });

        ActionOutcome action = Assert.Single(result.Actions);
        if (markerPolicyOn)
        {
            Assert.Equal(CallDecisionStatus.AwaitingApproval, action.Decision);
            Assert.Equal([ApprovalPolicy.ApprovalRequiredAIFunctionName], result.PendingApproval!.Calls[0].Policies);
            Assert.Empty(bank.Transfers);
        }
        else
        {
            Assert.Equal(CallExecutionStatus.Succeeded, action.Execution);
            Assert.Null(result.PendingApproval);
            Assert.Single(bank.Transfers);
        }
    }
}
