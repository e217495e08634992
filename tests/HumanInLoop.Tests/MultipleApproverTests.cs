using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Calls that need several different people (a four-eyes rule): counted per person, refused by one rejection.</summary>
public sealed class MultipleApproverTests
{
    private static readonly Approver Carol = new("carol-the-cfo", ["approver"]);

    private static async Task<(TestBank Bank, PendingApproval Pending)> PauseAsync(params IApprovalPolicy[] policies)
    {
        ApprovalOptions options = new();
        foreach (IApprovalPolicy policy in policies)
        {
            options.Policies.Add(policy);
        }

        TestBank bank = new(options);
        return (bank, (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending);
    }

    private static IApprovalPolicy FourEyes(IEnumerable<string>? approvers = null) =>
        ApprovalPolicy.RequireApproval("transfer", "Transfers need two people.", approvers, requiredApprovals: 2);

    [Fact]
    public async Task TwoRequired_FirstApprovalKeepsItWaiting_SecondDifferentPersonDecides_RunsOnce()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(FourEyes());
        Assert.Equal(2, pending.FindCall("c-tr")!.RequiredApprovals);

        PendingApproval afterOne = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "looks right"));

        Assert.Equal(ApprovalStatus.Pending, afterOne.Status);
        PendingToolCall call = afterOne.FindCall("c-tr")!;
        Assert.Equal(CallDecisionStatus.AwaitingApproval, call.Decision);
        Assert.Null(call.DecidedBy);
        CallSignOff first = Assert.Single(call.SignOffs);
        Assert.Equal(("alice", "looks right"), (first.ApproverId, first.Reason));
        Assert.Equal(ApprovalAuditEvent.PartiallyApproved, afterOne.AuditTrail[^1].Event);
        Assert.Equal("Approval 1 of 2. looks right", afterOne.AuditTrail[^1].Reason);
        ApprovalConflictException notYet = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.Pending, notYet.Status);

        // The same person twice does not count twice.
        ApprovalConflictException again = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
        Assert.Contains("already approved", again.Message, StringComparison.Ordinal);

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob));
        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        Assert.Equal(CallDecisionStatus.Approved, decided.FindCall("c-tr")!.Decision);
        Assert.Equal("bob", decided.FindCall("c-tr")!.DecidedBy);
        Assert.Equal(["alice", "bob"], decided.FindCall("c-tr")!.SignOffs.Select(a => a.ApproverId));
        Assert.Equal(ApprovalAuditEvent.Approved, decided.AuditTrail[^1].Event);

        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task OneRejection_AfterAnApproval_RefusesTheCall()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(FourEyes());
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Bob, "Not this month."));
        ResumeResult resumed = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Equal(CallDecisionStatus.Rejected, decided.FindCall("c-tr")!.Decision);
        Assert.Empty(bank.Transfers);
        Assert.Contains("Not this month.", resumed.Response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditedArguments_RefusedOnACallNeedingSeveral_NothingRecorded()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(FourEyes());
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        ApprovalForbiddenException refused = await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(
            pending.Id, "c-tr", ApprovalDecision.ApproveWithArguments(TestBank.Bob, new Dictionary<string, object?> { ["to"] = "mallory", ["amount"] = 500 })));

        Assert.Contains("cannot be edited", refused.Message, StringComparison.Ordinal);
        PendingToolCall call = (await bank.Approvals.GetAsync(pending.Id)).FindCall("c-tr")!;
        Assert.Single(call.SignOffs);
        Assert.Null(call.ApprovedArguments);
    }

    [Fact]
    public async Task EachApprover_MustBeAllowed_AndTheRequesterIsStillRefused()
    {
        ApprovalOptions options = new() { PreventSelfApproval = true, Policies = { FourEyes(["approver"]) } };
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob)));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(new Approver("carol", ["approver"]))));
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(Carol));

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
    }

    [Fact]
    public async Task PoliciesCombine_TheMostApprovalsAskedForAreNeeded()
    {
        (TestBank _, PendingApproval pending) = await PauseAsync(
            ApprovalPolicy.RequireApproval("transfer", "Transfers need a person."),
            ApprovalPolicy.RequireApproval("transfer", "Large amounts need three.", requiredApprovals: 3));

        Assert.Equal(3, pending.FindCall("c-tr")!.RequiredApprovals);
    }

    [Fact]
    public async Task TwoApproversRacing_BothCount_TheCallIsApprovedOnce()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(FourEyes());

        await Task.WhenAll(
            Task.Run(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice))),
            Task.Run(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob))));

        PendingApproval decided = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        Assert.Equal(2, decided.FindCall("c-tr")!.SignOffs.Count);
        Assert.Single(decided.AuditTrail, e => e.Event == ApprovalAuditEvent.Approved);
        Assert.Single(decided.AuditTrail, e => e.Event == ApprovalAuditEvent.PartiallyApproved);
    }

    [Fact]
    public async Task SeveralApprovals_SurviveARoundTripThroughTheSerializer()
    {
        (TestBank bank, PendingApproval pending) = await PauseAsync(FourEyes());
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "first"));

        PendingApproval loaded = PendingApprovalSerializer.Deserialize((await bank.Store.GetAsync(pending.Id))!);

        PendingToolCall call = loaded.FindCall("c-tr")!;
        Assert.Equal(2, call.RequiredApprovals);
        Assert.Equal([new CallSignOff("alice", bank.Time.GetUtcNow(), "first")], call.SignOffs);
    }
}
