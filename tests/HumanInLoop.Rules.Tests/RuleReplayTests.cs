using Microsoft.Extensions.AI;

namespace HumanInLoop.Rules.Tests;

/// <summary>"What if the limit were 500": the recorded calls replayed against a rule file, one edit away from the rules in force.</summary>
public sealed class RuleReplayTests
{
    [Fact]
    public async Task Replay_RuleFile_WithARaisedLimit_ReportsWhatItWouldHaveDone()
    {
        RulesBank bank = new();
        ApprovalRuleSet live = ApprovalRuleSet.FromJson(RuleGateTests.BigTransfers, bank.Tools, bank.Time);
        ApprovalService approvals = bank.Service(live);
        IChatClient gate = bank.Gate(approvals);

        // 300 held and rejected, 200 held and approved, 50 allowed at once.
        bank.NextArguments = RulesBank.TransferOf(300m);
        PendingApproval rejected = (await bank.SendAsync(gate))!;
        bank.NextArguments = RulesBank.TransferOf(200m);
        PendingApproval approved = (await bank.SendAsync(gate))!;
        bank.NextArguments = RulesBank.TransferOf(50m);
        Assert.Null(await bank.SendAsync(gate));
        await approvals.DecideAsync(rejected.Id, rejected.AwaitingApproval.Single().CallId, ApprovalDecision.Reject(new Approver("alice", ["payments"]), "Unknown payee."));
        await approvals.DecideAsync(approved.Id, approved.AwaitingApproval.Single().CallId, ApprovalDecision.Approve(new Approver("alice", ["payments"])));
        await approvals.FlushCallRecordsAsync();

        string file = Path.Combine(Directory.CreateTempSubdirectory("hil-rules-").FullName, "rules.json");
        await File.WriteAllTextAsync(file, RuleGateTests.BigTransfers.Replace("100", "500", StringComparison.Ordinal));
        ApprovalRuleSet candidate = ApprovalRuleSet.FromFile(file, bank.Tools, bank.Time);
        Assert.NotEqual(live.Hash, candidate.Hash);

        ReplayReport report = await approvals.History.ReplayAsync([candidate]);
        Assert.Equal((3L, 3L, 0L, 0L), (report.Calls, report.WouldAllow, report.WouldRequireApproval, report.WouldDeny));
        ReplayFinding finding = Assert.Single(report.FalseApprovals, f => f.Call.Outcome == CallOutcome.Rejected);
        Assert.Equal(300m, finding.Call.Arguments.GetProperty("amount").GetDecimal());

        // The live rules, replayed, agree with what happened.
        ReplayReport same = await approvals.History.ReplayAsync([live]);
        Assert.Equal((3L, 1L, 2L), (same.Calls, same.WouldAllow, same.WouldRequireApproval));
        Assert.Equal(0, same.FalseApprovalCount);
    }

    [Fact]
    public void RuleFile_Invalid_IsRefusedWithTheFileAndPath()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("hil-rules-").FullName, "what-if.json");
        File.WriteAllText(file, RuleGateTests.BigTransfers.Replace("amount > 100", "amount > 'five hundred'", StringComparison.Ordinal));
        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromFile(file, new RulesBank().Tools));
        Assert.StartsWith("what-if.json: Rules:big-transfers:When: ", Assert.Single(refused.Problems), StringComparison.Ordinal);
    }
}
