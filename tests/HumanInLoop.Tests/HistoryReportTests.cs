using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>The automation report, counted from stored records: every outcome, per tool and per policy, times to decision, filters.</summary>
public sealed class HistoryReportTests
{
    private static readonly DateTimeOffset HeldAt = TestBank.Start + TimeSpan.FromMinutes(1);

    /// <summary>
    /// Seeds one call of each outcome: at Start an allowed transfer, at +1 s a denied delete, at +2 s an allowed balance check in
    /// tenant t2; at +1 min six held transfers, then approved after 1 min, edited after 2, rejected after 10, one expired after
    /// 30 (its policy's deadline), one cancelled, one still awaiting.
    /// </summary>
    private static async Task<TestBank> SeedAsync(bool streaming)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.DefaultExpiration = TimeSpan.FromDays(1);
        options.Policies.Add(ApprovalPolicy.Named("EveShort", ApprovalPolicy.Create(c =>
            c.ToolName == "transfer" && c.GetArguments<TransferArgs>().To == "eve" ? PolicyVerdict.RequireApproval("Eve: quick.", expiresAfter: TimeSpan.FromMinutes(30)) : PolicyVerdict.NotApplicable)));
        TestBank bank = new(options);
        Assert.Null((await bank.SendAsync("transfer 50 to bob", streaming)).Error);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null((await bank.SendAsync("only delete", streaming)).Error);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        ChatOptions otherTenant = new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance) }
            .WithCallerContext(new CallerContext { ConversationId = "conv-9", UserId = "zed", TenantId = "t2" });
        Assert.Null((await bank.SendAsync("balance", streaming, otherTenant)).Error);

        bank.Time.SetUtcNow(HeldAt);
        string[] ids = new string[6];
        string[] payees = ["approve", "edit", "reject", "eve", "cancel", "wait"];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (await bank.SendAsync($"transfer {200 + i} to {payees[i]}", streaming)).Pending.Id;
        }

        bank.Time.Advance(TimeSpan.FromMinutes(1));
        await bank.Approvals.DecideAsync(ids[0], "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        bank.Time.Advance(TimeSpan.FromMinutes(1));
        await bank.Approvals.DecideAsync(ids[1], "c-tr", ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "edit", ["amount"] = 150m }));
        bank.Time.Advance(TimeSpan.FromMinutes(8));
        await bank.Approvals.DecideAsync(ids[2], "c-tr", ApprovalDecision.Reject(TestBank.Alice, "Not this payee."));
        await bank.Approvals.CancelAsync(ids[4], TestBank.Alice, "Withdrawn.");
        bank.Time.Advance(TimeSpan.FromMinutes(21));
        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());
        await bank.Approvals.FlushCallRecordsAsync();
        return bank;
    }

    private static void AssertFigures(AutomationFigures f, long seen, long allowed, long denied, long awaiting, long approved, long edited, long rejected, long expired, long cancelled)
    {
        Assert.Equal(
            (seen, allowed, denied, 0L, awaiting, approved, edited, rejected, expired, cancelled),
            (f.Seen, f.Allowed, f.Denied, f.AllowedByGrant, f.Awaiting, f.Approved, f.Edited, f.Rejected, f.Expired, f.Cancelled));
        Assert.Equal(awaiting + approved + edited + rejected + expired + cancelled, f.SentToPerson);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Report_EveryOutcome_CountedInTotalPerToolAndPerPolicy(bool streaming)
    {
        TestBank bank = await SeedAsync(streaming);

        AutomationReport report = await bank.Approvals.History.ReportAsync();

        AssertFigures(report.Total, seen: 9, allowed: 2, denied: 1, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
        Assert.Equal(3.0 / 9, report.Total.AutomationRate, 10);
        Assert.Equal(TimeSpan.FromMinutes(2), report.Total.MedianTimeToDecision);
        Assert.Equal(TimeSpan.FromMinutes(10), report.Total.P90TimeToDecision);
        Assert.Equal(["check_balance", "delete_account", "transfer"], report.ByTool.Keys);
        AssertFigures(report.ByTool["transfer"], seen: 7, allowed: 1, denied: 0, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
        AssertFigures(report.ByTool["delete_account"], seen: 1, allowed: 0, denied: 1, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        AssertFigures(report.ByTool["check_balance"], seen: 1, allowed: 1, denied: 0, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Equal(["Allow(check_balance, deposit)", "Deny(delete_account)", "EveShort", "RequireApprovalWhen(transfer)"], report.ByPolicy.Keys);
        AssertFigures(report.ByPolicy["RequireApprovalWhen(transfer)"], seen: 7, allowed: 1, denied: 0, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
        AssertFigures(report.ByPolicy["EveShort"], seen: 1, allowed: 0, denied: 0, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 1, cancelled: 0);
        Assert.Null(report.ByPolicy["EveShort"].MedianTimeToDecision);
        AssertFigures(report.ByPolicy["Deny(delete_account)"], seen: 1, allowed: 0, denied: 1, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Empty(report.UnreadableApprovals);
    }

    [Fact]
    public async Task Report_WindowFilters_FromAndBefore()
    {
        TestBank bank = await SeedAsync(streaming: false);

        AutomationReport before = await bank.Approvals.History.ReportAsync(new HistoryQuery { Before = HeldAt });
        AutomationReport from = await bank.Approvals.History.ReportAsync(new HistoryQuery { From = HeldAt });
        AutomationReport slice = await bank.Approvals.History.ReportAsync(new HistoryQuery { From = TestBank.Start + TimeSpan.FromSeconds(1), Before = TestBank.Start + TimeSpan.FromSeconds(2) });

        AssertFigures(before.Total, seen: 3, allowed: 2, denied: 1, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Null(before.Total.MedianTimeToDecision);
        AssertFigures(from.Total, seen: 6, allowed: 0, denied: 0, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
        AssertFigures(slice.Total, seen: 1, allowed: 0, denied: 1, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Equal(TestBank.Start + TimeSpan.FromSeconds(1), slice.Query.From);
    }

    [Fact]
    public async Task Report_TenantAndToolFilters()
    {
        TestBank bank = await SeedAsync(streaming: false);

        AutomationReport t2 = await bank.Approvals.History.ReportAsync(new HistoryQuery { TenantId = "t2" });
        AutomationReport deletes = await bank.Approvals.History.ReportAsync(new HistoryQuery { ToolName = "delete_account" });
        AutomationReport t1Transfers = await bank.Approvals.History.ReportAsync(new HistoryQuery { TenantId = "t1", ToolName = "transfer", From = HeldAt });

        AssertFigures(t2.Total, seen: 1, allowed: 1, denied: 0, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Equal(["check_balance"], t2.ByTool.Keys);
        AssertFigures(deletes.Total, seen: 1, allowed: 0, denied: 1, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        AssertFigures(t1Transfers.Total, seen: 6, allowed: 0, denied: 0, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
    }

    [Fact]
    public async Task Report_FromAnotherServiceOverTheSameStore_SameFigures()
    {
        TestBank bank = await SeedAsync(streaming: false);
        ApprovalService other = new(bank.Store, new ApprovalOptions { TimeProvider = bank.Time });

        AutomationReport mine = await bank.Approvals.History.ReportAsync();
        AutomationReport theirs = await other.History.ReportAsync();

        Assert.Equal(mine.Total, theirs.Total);
        Assert.Equal(mine.ByPolicy.Keys, theirs.ByPolicy.Keys);
    }

    [Fact]
    public async Task Read_HeldCalls_CarryDecisionDetails()
    {
        TestBank bank = await SeedAsync(streaming: false);

        List<RecordedCall> calls = await bank.Approvals.History.ReadAsync().ToListAsync();

        RecordedCall edited = Assert.Single(calls, c => c.Outcome == CallOutcome.Edited);
        Assert.Equal(150m, edited.EditedArguments!.Value.GetProperty("amount").GetDecimal());
        Assert.Equal(201m, edited.Arguments.GetProperty("amount").GetDecimal());
        Assert.Equal(("alice", TimeSpan.FromMinutes(2)), (edited.DecidedBy, edited.TimeToDecision));
        RecordedCall rejected = Assert.Single(calls, c => c.Outcome == CallOutcome.Rejected);
        Assert.Equal("Not this payee.", rejected.DecisionReason);
        Assert.Equal(HeldAt, rejected.SeenAt);
        Assert.Equal(9, calls.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public async Task Report_Empty_ZeroRateNoTimes()
    {
        TestBank bank = new();

        AutomationReport report = await bank.Approvals.History.ReportAsync();

        Assert.Equal((0L, 0.0), (report.Total.Seen, report.Total.AutomationRate));
        Assert.Null(report.Total.P90TimeToDecision);
        Assert.Empty(report.ByTool);
    }

    [Fact]
    public async Task Report_ByDay_CountsEachUtcDayOfTheCallsSeenOldestFirst()
    {
        TestBank bank = await SeedAsync(streaming: false);
        bank.Time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 23, 59, 0, TimeSpan.FromHours(-2))); // 26 November, 01:59 UTC
        Assert.Null((await bank.SendAsync("transfer 50 to bob", streaming: false)).Error);
        await bank.Approvals.FlushCallRecordsAsync();

        AutomationReport report = await bank.Approvals.History.ReportAsync();

        Assert.Equal([new DateOnly(2026, 11, 24), new DateOnly(2026, 11, 26)], report.ByDay.Keys);
        AssertFigures(report.ByDay[new DateOnly(2026, 11, 24)], seen: 9, allowed: 2, denied: 1, awaiting: 1, approved: 1, edited: 1, rejected: 1, expired: 1, cancelled: 1);
        AssertFigures(report.ByDay[new DateOnly(2026, 11, 26)], seen: 1, allowed: 1, denied: 0, awaiting: 0, approved: 0, edited: 0, rejected: 0, expired: 0, cancelled: 0);
        Assert.Equal(report.Total.Seen, report.ByDay.Values.Sum(f => f.Seen));
        Assert.Equal(TimeSpan.FromMinutes(2), report.ByDay[new DateOnly(2026, 11, 24)].MedianTimeToDecision);
    }
}
