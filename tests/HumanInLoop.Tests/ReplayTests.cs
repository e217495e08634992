using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Replay: a candidate policy set evaluated over the recorded calls; nothing runs, nothing changes.</summary>
public sealed class ReplayTests
{
    private static readonly IApprovalPolicy Looser = ApprovalPolicy.Named("Looser", ApprovalPolicy.Create(c =>
        c.ToolName == "transfer" ? (c.GetArguments<TransferArgs>().Amount <= 1000 ? PolicyVerdict.Allow : PolicyVerdict.RequireApproval("Over $1,000.")) : PolicyVerdict.NotApplicable));

    private static readonly IApprovalPolicy[] LooserSet = [Looser, ApprovalPolicy.Allow("check_balance"), ApprovalPolicy.Deny("delete_account", "Never.")];

    /// <summary>Seeds: mallory 500 rejected with a reason, bob 200 approved, carl 300 edited to 250, bob 50 allowed, a denied delete.</summary>
    private static async Task<TestBank> SeedAsync(bool streaming, TestBank? bank = null)
    {
        bank ??= new TestBank();
        string mallory = (await bank.SendAsync("transfer 500 to mallory", streaming)).Pending.Id;
        string bob = (await bank.SendAsync("transfer 200 to bob", streaming)).Pending.Id;
        string carl = (await bank.SendAsync("transfer 300 to carl", streaming)).Pending.Id;
        bank.Time.Advance(TimeSpan.FromMinutes(5));
        await bank.Approvals.DecideAsync(mallory, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "Payee looks like fraud."));
        await bank.Approvals.DecideAsync(bob, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.DecideAsync(carl, "c-tr", ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "carl", ["amount"] = 250m }, "Lowered."));
        Assert.Null((await bank.SendAsync("transfer 50 to bob", streaming)).Error);
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null((await bank.SendAsync("only delete", streaming)).Error);
        await bank.Approvals.FlushCallRecordsAsync();
        return bank;
    }

    private static async Task<(List<StateEntry>, List<CallRecordEntry>, List<GrantEntry>)> SnapshotAsync(IStateStore store)
    {
        StatePage approvals = await store.ListAsync(new StateQuery { PageSize = 1000 });
        CallRecordPage calls = await ((ICallRecordStore)store).ListCallRecordsAsync(new CallRecordQuery { PageSize = 1000 });
        GrantPage grants = await ((IGrantStore)store).ListGrantsAsync(new GrantQuery { PageSize = 1000 });
        Assert.Null(approvals.ContinuationToken);
        List<StateEntry> full = [];
        foreach (StateEntry entry in approvals.Entries)
        {
            full.Add((await store.GetAsync(entry.Id))!);
        }

        return (full, [.. calls.Entries], [.. grants.Entries]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Replay_CandidateAllowsRejectedCall_ListedAsFalseApprovalWithReason(bool streaming)
    {
        TestBank bank = await SeedAsync(streaming);

        ReplayReport report = await bank.Approvals.History.ReplayAsync(LooserSet);

        Assert.Equal((5L, 4L, 0L, 1L), (report.Calls, report.WouldAllow, report.WouldRequireApproval, report.WouldDeny));
        Assert.Equal(1.0, report.AutomationRate);
        Assert.Equal(2.0 / 5, report.RecordedAutomationRate, 10);
        Assert.Equal(2, report.FalseApprovalCount);
        ReplayFinding rejected = Assert.Single(report.FalseApprovals, f => f.Call.Outcome == CallOutcome.Rejected);
        Assert.Equal("Payee looks like fraud.", rejected.Call.DecisionReason);
        Assert.Equal("mallory", rejected.Call.Arguments.GetProperty("to").GetString());
        Assert.Equal((PolicyVerdictKind.Allow, "Looser"), (rejected.Candidate.Kind, Assert.Single(rejected.Candidate.Policies)));
        ReplayFinding edited = Assert.Single(report.FalseApprovals, f => f.Call.Outcome == CallOutcome.Edited);
        Assert.Equal(("carl", "Lowered."), (edited.Call.Arguments.GetProperty("to").GetString(), edited.Call.DecisionReason));
        Assert.Equal(0, report.NeedlessAskCount);
        ReplayFinding denial = Assert.Single(report.Denials);
        Assert.Equal(("delete_account", CallOutcome.Denied), (denial.Call.ToolName, denial.Call.Outcome));
        Assert.Equal(0, report.ErrorCount);
    }

    [Fact]
    public async Task Replay_StricterCandidate_NeedlessAsksListed_AlwaysApprovedToolsOnlyWhenEveryDecisionApproved()
    {
        TestBank bank = await SeedAsync(streaming: false);
        IApprovalPolicy[] strict = [ApprovalPolicy.RequireApproval("transfer", "Every transfer."), ApprovalPolicy.Allow("check_balance", "delete_account")];

        ReplayReport mixed = await bank.Approvals.History.ReplayAsync(strict);

        Assert.Equal((4L, 1L), (mixed.WouldRequireApproval, mixed.NeedlessAskCount));
        Assert.Equal(200m, Assert.Single(mixed.NeedlessAsks).Call.Arguments.GetProperty("amount").GetDecimal());
        Assert.Empty(mixed.AlwaysApprovedTools);
        Assert.Equal(0.2, mixed.AutomationRate, 10);

        TestBank approving = new();
        foreach (string payee in new[] { "x", "y" })
        {
            PendingApproval held = (await approving.SendAsync($"transfer 300 to {payee}", false)).Pending;
            await approving.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        }

        await approving.SendAsync("transfer 400 to z", false); // still awaiting: not a decision
        ReplayReport allApproved = await approving.Approvals.History.ReplayAsync(strict);
        Assert.Equal(["transfer"], allApproved.AlwaysApprovedTools);
        Assert.Equal(2, allApproved.NeedlessAskCount);
    }

    [Fact]
    public async Task Replay_CandidateThrowsOnSomeCalls_CountedListedAndReplayContinues()
    {
        TestBank bank = await SeedAsync(streaming: false);
        IApprovalPolicy buggy = ApprovalPolicy.Named("Buggy", ApprovalPolicy.Create(c =>
            c.ToolName == "transfer" && c.GetArguments<TransferArgs>().To == "mallory" ? throw new InvalidOperationException("boom") : PolicyVerdict.Allow));

        ReplayReport report = await bank.Approvals.History.ReplayAsync([buggy]);

        Assert.Equal(5, report.Calls);
        Assert.Equal(1, report.ErrorCount);
        ReplayFinding error = Assert.Single(report.Errors);
        Assert.Equal("mallory", error.Call.Arguments.GetProperty("to").GetString());
        Assert.Equal("InvalidOperationException: boom", error.Candidate.Error);
        Assert.Equal(PolicyVerdictKind.RequireApproval, error.Candidate.Kind);
        Assert.Equal((4L, 1L), (report.WouldAllow, report.WouldRequireApproval));
        Assert.DoesNotContain(report.FalseApprovals, f => f.Call.Outcome == CallOutcome.Rejected);
    }

    [Fact]
    public async Task Replay_NeverRunsToolsNorChangesRecords()
    {
        TestBank bank = await SeedAsync(streaming: false);
        var before = await SnapshotAsync(bank.Store);
        int transfers = bank.Transfers.Count;
        IApprovalPolicy reading = ApprovalPolicy.Create(c => c.Messages.Count >= 0 ? PolicyVerdict.Allow : PolicyVerdict.Deny("never"));

        await bank.Approvals.History.ReplayAsync([reading]);
        await bank.Approvals.History.ReplayAsync(LooserSet);

        var after = await SnapshotAsync(bank.Store);
        Assert.Equal(before.Item1, after.Item1);
        Assert.Equal(before.Item2, after.Item2);
        Assert.Equal(before.Item3, after.Item3);
        Assert.Equal(transfers, bank.Transfers.Count);
        Assert.Equal(0, bank.Deletes);
    }

    private sealed class ListProgress : IProgress<ReplayProgress>
    {
        public List<ReplayProgress> Reports { get; } = [];

        public void Report(ReplayProgress value) => Reports.Add(value);
    }

    private static async Task<TestBank> ManyBalanceChecksAsync(int requests, int callsPerRequest)
    {
        TestBank bank = new();
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("ok")
            : ScriptedChatClient.Calls([.. Enumerable.Range(0, callsPerRequest).Select(i => ScriptedChatClient.Call($"c{i}", "check_balance"))]);
        for (int i = 0; i < requests; i++)
        {
            Assert.Null((await bank.SendAsync("balance", streaming: false)).Error);
        }

        await bank.Approvals.FlushCallRecordsAsync();
        return bank;
    }

    [Fact]
    public async Task Replay_ManyCalls_ProgressEveryThousandAndAtEnd_ListsCappedCountsComplete()
    {
        TestBank bank = await ManyBalanceChecksAsync(requests: 50, callsPerRequest: 50);
        ListProgress progress = new();

        ReplayReport report = await bank.Approvals.History.ReplayAsync([ApprovalPolicy.Deny("check_balance", "No.")], progress: progress, maxListed: 10);

        Assert.Equal([1000L, 2000L, 2500L], progress.Reports.Select(p => p.Replayed));
        Assert.Equal((2500L, 2500L), (report.Calls, report.WouldDeny));
        Assert.Equal(10, report.Denials.Count);
        Assert.Equal(2500, bank.BalanceChecks);
    }

    [Fact]
    public async Task Replay_MaxListed_CapsEveryListButNotCounts()
    {
        TestBank bank = await SeedAsync(streaming: false);
        IApprovalPolicy throwing = ApprovalPolicy.Create(_ => throw new InvalidOperationException("always"));

        ReplayReport one = await bank.Approvals.History.ReplayAsync(LooserSet, maxListed: 1);
        ReplayReport none = await bank.Approvals.History.ReplayAsync([throwing], maxListed: 0);

        Assert.Equal((2L, 1), (one.FalseApprovalCount, one.FalseApprovals.Count));
        Assert.Equal((5L, 0), (none.ErrorCount, none.Errors.Count));
        Assert.Equal(1, none.NeedlessAskCount);
        Assert.Empty(none.NeedlessAsks);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bank.Approvals.History.ReplayAsync(LooserSet, maxListed: -1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Replay_PolicyReadingMessages_GetsStoredConversationOfHeldCall(bool historyKeptApart)
    {
        TestBank bank = new(store: new ForwardingStore(new InMemoryStateStore(), historyKeptApart));
        await SeedAsync(streaming: false, bank);
        List<string> seen = [];
        IApprovalPolicy reader = ApprovalPolicy.Create(c =>
        {
            string firstUserText = c.Messages.FirstOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
            lock (seen)
            {
                seen.Add($"{c.CallId}:{firstUserText}");
            }

            return firstUserText.Contains("mallory", StringComparison.Ordinal) ? PolicyVerdict.Deny("Mallory again.") : PolicyVerdict.Allow;
        });

        ReplayReport report = await bank.Approvals.History.ReplayAsync([reader]);

        ReplayFinding denial = Assert.Single(report.Denials);
        Assert.Equal(("mallory", CallOutcome.Rejected), (denial.Call.Arguments.GetProperty("to").GetString(), denial.Call.Outcome));
        Assert.Contains("c-tr:transfer 200 to bob", seen);
        Assert.Contains("c-tr:transfer 300 to carl", seen);
    }

    [Fact]
    public async Task Replay_CallsDecidedAtOnce_HaveNoConversation()
    {
        TestBank bank = await SeedAsync(streaming: false);
        int withMessages = 0;
        IApprovalPolicy reader = ApprovalPolicy.Create(c =>
        {
            if (c.ToolName == "delete_account" && c.Messages.Count > 0)
            {
                Interlocked.Increment(ref withMessages);
            }

            return PolicyVerdict.Allow;
        });

        ReplayReport report = await bank.Approvals.History.ReplayAsync([reader], new HistoryQuery { ToolName = "delete_account" });

        Assert.Equal(1, report.Calls);
        Assert.Equal(0, withMessages);
    }
}
