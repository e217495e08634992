namespace HumanInLoop.Tests;

/// <summary>An approver's inbox (issue 18): the library writes who may decide each approval, and lists by it.</summary>
public sealed class InboxTests
{
    private static readonly Approver Fiona = new("fiona", ["finance"]);
    private static readonly Approver Oscar = new("oscar", ["ops"]);

    [Fact]
    public async Task Hold_WritesWhoMayDecide_TheInboxListsIt_UntilItIsDecided()
    {
        TestBank bank = new(new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need finance.", ["finance", "cfo"]) } });
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;

        Assert.Equal(["cfo", "finance"], (await bank.Store.GetAsync(pending.Id))!.Approvers!);
        Assert.Equal(pending.Id, Assert.Single((await bank.Approvals.ListAsync(new StateQuery { Approver = Fiona })).Approvals).Id);
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery { Approver = Oscar })).Approvals);

        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(Fiona));

        Assert.Null((await bank.Store.GetAsync(pending.Id))!.Approvers);
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery { Approver = Fiona })).Approvals);
    }

    [Fact]
    public async Task Hold_PoliciesWithNoCommonApprover_IsInNobodysInbox()
    {
        TestBank bank = new(new ApprovalOptions
        {
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Finance decides.", ["finance"]), ApprovalPolicy.RequireApproval("transfer", "Ops decides.", ["ops"]) },
        });
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;

        Assert.Equal(ApprovalStatus.Pending, pending.Status);
        Assert.Null((await bank.Store.GetAsync(pending.Id))!.Approvers);
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery { Approver = Fiona })).Approvals);
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery { Approver = Oscar })).Approvals);
    }

    [Fact]
    public async Task Hold_ACallThatNamesNobody_IsInEveryApproversInbox()
    {
        TestBank bank = new(new ApprovalOptions { Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") } });
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;

        Assert.Equal([StateEntry.AnyApprover], (await bank.Store.GetAsync(pending.Id))!.Approvers!);
        Assert.Equal(pending.Id, Assert.Single((await bank.Approvals.ListAsync(new StateQuery { Approver = Oscar, Status = ApprovalStatus.Pending })).Approvals).Id);
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery { Approver = Oscar, Status = ApprovalStatus.Decided })).Approvals);
    }
}
