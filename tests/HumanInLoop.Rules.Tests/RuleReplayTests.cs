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
    public async Task Replay_TimeOfDayRule_JudgesEachCallAtItsRecordedTime_NotAtTheTimeOfTheReplay()
    {
        RulesBank bank = new();
        bank.Time.SetUtcNow(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero)); // office hours
        ApprovalService approvals = bank.Service(ApprovalRuleSet.FromJson(RuleGateTests.BigTransfers, bank.Tools, bank.Time));
        bank.NextArguments = RulesBank.TransferOf(50m);
        Assert.Null(await bank.SendAsync(bank.Gate(approvals)));
        await approvals.FlushCallRecordsAsync();

        bank.Time.SetUtcNow(new DateTimeOffset(2026, 12, 7, 22, 0, 0, TimeSpan.Zero)); // the replay runs at night
        ApprovalRuleSet afterHours = ApprovalRuleSet.FromJson("""
            { "Rules": {
              "after-hours": { "Tool": "transfer_funds", "When": "_hour >= 18 or _hour < 8", "Verdict": "RequireApproval", "Reason": "Transfers out of hours need a person." },
              "office-hours": { "Tool": "transfer_funds", "When": "_hour >= 8 and _hour < 18", "Verdict": "Allow" } } }
            """, bank.Tools, bank.Time);

        ReplayReport report = await approvals.History.ReplayAsync([afterHours]);
        Assert.Equal((1L, 1L, 0L), (report.Calls, report.WouldAllow, report.WouldRequireApproval)); // made at 10:00, allowed as then
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
