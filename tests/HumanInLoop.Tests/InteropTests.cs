using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Microsoft.Extensions.AI's own approval contents, accepted only when they match a stored pending call.</summary>
public sealed class InteropTests
{
    private static async Task<(TestBank Bank, PendingApproval Pending)> PauseAsync()
    {
        TestBank bank = new();
        return (bank, (await bank.SendAsync("balance and transfer 500 to bob", streaming: false)).Pending);
    }

    [Fact]
    public async Task PendingApproval_ShownAsToolApprovalRequests_OnlyForCallsAwaitingAPerson()
    {
        (_, PendingApproval pending) = await PauseAsync();

        ToolApprovalRequestContent request = Assert.Single(ApprovalService.CreateApprovalRequests(pending));

        FunctionCallContent call = Assert.IsType<FunctionCallContent>(request.ToolCall);
        Assert.Equal(("c-tr", "transfer"), (call.CallId, call.Name));
        Assert.Equal("bob", call.Arguments!["to"]!.ToString());
        Assert.Contains(pending.Id, request.RequestId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MatchingResponse_Approves_AndTheStoredArgumentsRun()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        ToolApprovalRequestContent request = ApprovalService.CreateApprovalRequests(pending)[0];

        PendingApproval decided = await bank.Approvals.ApplyApprovalResponseAsync(pending.Id, request.CreateResponse(true, "fine"), TestBank.Alice);
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        Assert.Equal("alice", decided.FindCall("c-tr")!.DecidedBy);
        Assert.Equal(500m, bank.Transfers.Single().Amount);
    }

    [Fact]
    public async Task MatchingResponse_Rejects()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        ToolApprovalRequestContent request = ApprovalService.CreateApprovalRequests(pending)[0];

        PendingApproval decided = await bank.Approvals.ApplyApprovalResponseAsync(pending.Id, request.CreateResponse(false, "nope"), TestBank.Alice);

        Assert.Equal(CallDecisionStatus.Rejected, decided.FindCall("c-tr")!.Decision);
        Assert.Equal("nope", decided.FindCall("c-tr")!.DecisionReason);
    }

    [Fact]
    public async Task ForgedResponse_OtherArguments_RefusedAndNothingDecided()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        ToolApprovalRequestContent request = ApprovalService.CreateApprovalRequests(pending)[0];
        ToolApprovalResponseContent forged = new(request.RequestId, true, TestBank.TransferCall("c-tr", "mallory", 500m));

        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id, forged, TestBank.Alice));

        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task ForgedResponse_OtherToolOrCallOrRequestId_Refused()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        string requestId = ApprovalService.CreateApprovalRequests(pending)[0].RequestId;
        FunctionCallContent original = TestBank.TransferCall("c-tr", "bob", 500m);

        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id,
            new ToolApprovalResponseContent(requestId, true, new FunctionCallContent("c-tr", "delete_account")), TestBank.Alice));
        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id,
            new ToolApprovalResponseContent("ficc_c-tr", true, original), TestBank.Alice));
        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync("apr_other",
            new ToolApprovalResponseContent(requestId, true, original), TestBank.Alice));
        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id,
            new ToolApprovalResponseContent(ToolApprovalInterop.RequestId(pending.Id, "c-ghost"), true, new FunctionCallContent("c-ghost", "transfer")), TestBank.Alice));

        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Fact]
    public async Task ReplayedResponse_SecondTimeConflicts()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync();
        ToolApprovalResponseContent response = ApprovalService.CreateApprovalRequests(pending)[0].CreateResponse(true);
        await bank.Approvals.ApplyApprovalResponseAsync(pending.Id, response, TestBank.Alice);

        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ApplyApprovalResponseAsync(pending.Id, response, TestBank.Alice));
    }
}
