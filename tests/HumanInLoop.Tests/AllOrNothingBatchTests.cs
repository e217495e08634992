using System.Text.Json;

namespace HumanInLoop.Tests;

/// <summary>How a policy marks a batch all or nothing, and how the mark is kept; what it does after a crash is tested on real stores (InDoubtBatchStoreTests).</summary>
public sealed class AllOrNothingBatchTests
{
    private static PolicyEvaluationContext Call(string tool) => new(tool, "c1", null, JsonSerializer.SerializeToElement(new { }), CallerContext.Empty, []);

    private static ValueTask<PolicyVerdict> EvaluateAsync(params IApprovalPolicy[] policies)
    {
        ApprovalOptions options = new();
        foreach (IApprovalPolicy policy in policies)
        {
            options.Policies.Add(policy);
        }

        return new ApprovalService(new InMemoryStateStore(), options).Evaluator.EvaluateAsync(Call("transfer"), CancellationToken.None);
    }

    [Fact]
    public async Task Evaluate_AnyApplicableVerdictMarksTheBatch_WhicheverVerdictWins()
    {
        IApprovalPolicy markedAllow = ApprovalPolicy.Create(_ => PolicyVerdict.Allow.InAllOrNothingBatch());
        IApprovalPolicy require = ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.");
        IApprovalPolicy markedRequire = ApprovalPolicy.Create(_ => PolicyVerdict.RequireApproval("Large.").InAllOrNothingBatch());
        IApprovalPolicy markedNotApplicable = ApprovalPolicy.Create(_ => PolicyVerdict.NotApplicable.InAllOrNothingBatch());

        PolicyVerdict requireOverMarkedAllow = await EvaluateAsync(markedAllow, require);
        Assert.Equal(PolicyVerdictKind.RequireApproval, requireOverMarkedAllow.Kind);
        Assert.True(requireOverMarkedAllow.AllOrNothingBatch);

        PolicyVerdict merged = await EvaluateAsync(require, markedRequire);
        Assert.True(merged.AllOrNothingBatch);
        Assert.Equal("Transfers need a person. Large.", merged.Reason);

        Assert.False((await EvaluateAsync(require)).AllOrNothingBatch);
        Assert.False((await EvaluateAsync(markedNotApplicable, require)).AllOrNothingBatch); // a policy that does not apply says nothing
        Assert.False(PolicyVerdict.Allow.AllOrNothingBatch); // the shared instances stay unmarked
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hold_MarkOnAnAutoAllowedCall_MarksTheHeldBatchAndIsStored(bool streaming)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.Create(c => c.ToolName == "check_balance" ? PolicyVerdict.Allow.InAllOrNothingBatch() : PolicyVerdict.NotApplicable));
        TestBank bank = new(options);

        PendingApproval held = (await bank.SendAsync("balance and transfer 500 to bob", streaming)).Pending;

        Assert.True(held.AllOrNothingBatch);
        Assert.True((await bank.Approvals.GetAsync(held.Id)).AllOrNothingBatch);
        string json = PendingApprovalSerializer.Serialize(held);
        Assert.Contains("\"allOrNothingBatch\":true", json, StringComparison.Ordinal);
        Assert.True(PendingApprovalSerializer.Deserialize(json).AllOrNothingBatch);
    }

    [Fact]
    public async Task Hold_Unmarked_WritesNoMarkSoEarlierRecordsStayByteForByte()
    {
        TestBank bank = new();

        PendingApproval held = (await bank.SendAsync("balance and transfer 500 to bob", streaming: false)).Pending;

        Assert.False(held.AllOrNothingBatch);
        Assert.DoesNotContain("allOrNothingBatch", PendingApprovalSerializer.Serialize(held), StringComparison.Ordinal);
    }
}
