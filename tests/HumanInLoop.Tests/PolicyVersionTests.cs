using System.Text.Json;
using System.Text.Json.Nodes;

namespace HumanInLoop.Tests;

/// <summary>
/// The version on every verdict (issue 22): the rules and versions a policy names are recorded with each call (held or decided at
/// once, active and shadow), on the audit entry of the verdict where the chain covers them, and read back by reports and replays.
/// </summary>
public sealed class PolicyVersionTests
{
    /// <summary>A rule set whose rules can be swapped while the process runs: it names its version on every verdict, NotApplicable included.</summary>
    internal sealed class SwappableRules(string name = "rules") : IApprovalPolicy
    {
        public string Version { get; set; } = "sha256:aaa";

        public string Name => name;

        public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken) => ValueTask.FromResult(
            context.ToolName == "transfer" && context.GetArguments<TransferArgs>().Amount > 100
                ? PolicyVerdict.RequireApproval("Transfers over $100 need a person.").WithOrigin("big-transfers", Version)
                : PolicyVerdict.NotApplicable.WithOrigin(null, Version));
    }

    private static ApprovalOptions Options(SwappableRules rules, string? label = "build-7") => new()
    {
        PolicyVersion = label,
        Policies = { ApprovalPolicy.Allow("check_balance"), rules },
    };

    [Fact]
    public async Task HeldCall_RecordsRuleAndVersions_OnTheCallAndOnTheVerdictsAuditEntry_AndTheChainVerifies()
    {
        SwappableRules rules = new();
        TestBank bank = new(Options(rules));

        PendingApproval held = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        PendingApproval loaded = await bank.Approvals.GetAsync(held.Id); // verifies the audit chain

        PendingToolCall transfer = loaded.FindCall("c-tr")!;
        Assert.Equal(["rules/big-transfers"], transfer.Policies);
        Assert.Equal(["build-7", "sha256:aaa"], transfer.PolicyVersions);
        PendingToolCall balance = loaded.FindCall("c-bal")!;
        Assert.Equal([ApprovalPolicy.Allow("check_balance").Name], balance.Policies);
        Assert.Equal(["build-7", "sha256:aaa"], balance.PolicyVersions); // the NotApplicable verdict's version counts
        ApprovalAuditEntry requested = Assert.Single(loaded.AuditTrail, e => e.Event == ApprovalAuditEvent.ApprovalRequested);
        Assert.Equal(["build-7", "sha256:aaa"], requested.PolicyVersions);
        Assert.Empty(Assert.Single(loaded.AuditTrail, e => e.Event == ApprovalAuditEvent.Created).PolicyVersions);
    }

    [Fact]
    public async Task EditedArguments_JudgedAgain_TheirAuditEntryNamesTheVersionsInForceAtTheDecision()
    {
        SwappableRules rules = new();
        TestBank bank = new(Options(rules));
        PendingApproval held = (await bank.SendAsync("transfer 500 to bob", false)).Pending;

        rules.Version = "sha256:bbb"; // the rules changed while the approval waited
        await bank.Approvals.DecideAsync(held.Id, "c-tr",
            ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 150m }));

        PendingApproval loaded = await bank.Approvals.GetAsync(held.Id); // verifies the audit chain
        Assert.Equal(["build-7", "sha256:aaa"], Assert.Single(loaded.AuditTrail, e => e.Event == ApprovalAuditEvent.ApprovalRequested).PolicyVersions);
        Assert.Equal(["build-7", "sha256:bbb"], Assert.Single(loaded.AuditTrail, e => e.Event == ApprovalAuditEvent.ApprovedWithEdits).PolicyVersions);
    }

    [Theory]
    [InlineData("[\"build-7\",\"sha256:bbb\"]")] // a version changed after the fact
    [InlineData("[]")]                           // versions emptied
    [InlineData(null)]                           // versions removed
    public async Task AuditEntryVersions_ChangedInTheStore_BreakTheChain(string? replacement)
    {
        SwappableRules rules = new();
        TestBank bank = new(Options(rules));
        PendingApproval held = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry entry = (await bank.Store.GetAsync(held.Id))!;

        JsonObject record = JsonNode.Parse(entry.Data)!.AsObject();
        JsonObject requested = record["auditTrail"]!.AsArray().Select(e => e!.AsObject()).Single(e => (string?)e["event"] == "ApprovalRequested");
        Assert.NotNull(requested["policyVersions"]);
        if (replacement is null)
        {
            requested.Remove("policyVersions");
        }
        else
        {
            requested["policyVersions"] = JsonNode.Parse(replacement);
        }

        Assert.True(await bank.Store.TryUpdateAsync(entry with { Data = record.ToJsonString(), Version = entry.Version + 1 }, entry.Version));
        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.GetAsync(held.Id));
    }

    [Fact]
    public async Task RulesSwappedBetweenCalls_EachCallNamesTheVersionItWasJudgedBy_InReportReplayAndExport()
    {
        SwappableRules rules = new();
        TestBank bank = new(Options(rules, label: null));
        PendingApproval first = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        rules.Version = "sha256:bbb";
        PendingApproval second = (await bank.SendAsync("transfer 600 to bob", false, bank.ChatOptions("conv-2"))).Pending;
        Assert.Null((await bank.SendAsync("balance", false, bank.ChatOptions("conv-3"))).Error); // allowed by code, the rules' NotApplicable names bbb
        await bank.Approvals.DecideAsync(first.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await bank.Approvals.FlushCallRecordsAsync();

        List<RecordedCall> calls = [.. await bank.Approvals.History.ReadAsync().ToListAsync()];
        Assert.Equal(["sha256:aaa"], calls.Single(c => c.ApprovalId == first.Id).Verdict.PolicyVersions);
        Assert.Equal(["sha256:bbb"], calls.Single(c => c.ApprovalId == second.Id).Verdict.PolicyVersions);

        AutomationReport report = await bank.Approvals.History.ReportAsync();
        Assert.Equal(["sha256:aaa", "sha256:bbb"], report.ByPolicyVersion.Keys);
        Assert.Equal((1, 1, 0), (report.ByPolicyVersion["sha256:aaa"].Seen, report.ByPolicyVersion["sha256:aaa"].Approved, report.ByPolicyVersion["sha256:aaa"].Awaiting));
        Assert.Equal(3, report.Total.Seen);
        Assert.Equal((2, 1, 1), (report.ByPolicyVersion["sha256:bbb"].Seen, report.ByPolicyVersion["sha256:bbb"].Awaiting, report.ByPolicyVersion["sha256:bbb"].Allowed));

        Assert.Equal([first.Id + "/c-tr"], (await bank.Approvals.History.ReadAsync(new HistoryQuery { PolicyVersion = "sha256:aaa" }).ToListAsync()).Select(c => c.Id));

        ReplayReport replay = await bank.Approvals.History.ReplayAsync([ApprovalPolicy.Allow("transfer")]);
        Assert.Equal(1, replay.RecordedPolicyVersions["sha256:aaa"]);
        Assert.Equal(2, replay.RecordedPolicyVersions["sha256:bbb"]);

        using MemoryStream exported = new();
        DecisionExportResult result = await bank.Approvals.History.ExportAsync(exported, new HistoryQuery { PolicyVersion = "sha256:aaa" });
        Assert.Equal(1, result.Exported);
        JsonElement line = JsonDocument.Parse(exported.ToArray()).RootElement;
        Assert.Equal("sha256:aaa", line.GetProperty("verdict").GetProperty("policyVersions")[0].GetString());
        Assert.Equal("rules/big-transfers", line.GetProperty("verdict").GetProperty("policies")[0].GetString());
    }

    [Fact]
    public async Task NotApplicableWithVersion_PlusAllowFromAnotherPolicy_RecordsBoth_InTheCallRecord()
    {
        SwappableRules rules = new();
        TestBank bank = new(Options(rules));

        Assert.Null((await bank.SendAsync("balance", false)).Error);
        await bank.Approvals.FlushCallRecordsAsync();

        RecordedCall balance = Assert.Single(await bank.Approvals.History.ReadAsync().ToListAsync());
        Assert.Equal(CallOutcome.Allowed, balance.Outcome);
        Assert.Equal([ApprovalPolicy.Allow("check_balance").Name], balance.Verdict.Policies);
        Assert.Equal(["build-7", "sha256:aaa"], balance.Verdict.PolicyVersions);
    }

    [Fact]
    public async Task ShadowVerdicts_CarryTheirVersions_BesideTheActiveOnes()
    {
        SwappableRules active = new(), candidate = new("candidate") { Version = "sha256:ccc" };
        ApprovalOptions options = Options(active);
        options.ShadowPolicies.Add(candidate);
        TestBank bank = new(options);

        PendingApproval held = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        await bank.Approvals.FlushCallRecordsAsync();

        RecordedVerdict shadow = held.FindCall("c-tr")!.ShadowVerdict!;
        Assert.Equal(["candidate/big-transfers"], shadow.Policies);
        Assert.Equal(["build-7", "sha256:ccc"], shadow.PolicyVersions);
        RecordedCall read = (await bank.Approvals.History.ReadAsync().ToListAsync()).Single(c => c.CallId == "c-tr");
        Assert.Equal(["build-7", "sha256:ccc"], read.ShadowVerdict!.PolicyVersions);
        Assert.Equal(["build-7", "sha256:aaa"], read.Verdict.PolicyVersions);
    }

    [Fact]
    public async Task SameVersionNamedByTwoPolicies_RecordedOnce_InTheOrderThePoliciesWereAsked()
    {
        SwappableRules first = new("first") { Version = "v2" }, second = new("second") { Version = "v1" }, third = new("third") { Version = "v2" };
        TestBank bank = new(new ApprovalOptions { PolicyVersion = "v1", Policies = { first, second, third } });

        PendingApproval held = (await bank.SendAsync("transfer 500 to bob", false)).Pending;

        Assert.Equal(["v1", "v2"], held.Calls[0].PolicyVersions);
        Assert.Equal(["first/big-transfers", "second/big-transfers", "third/big-transfers"], held.Calls[0].Policies);
    }

    [Fact]
    public async Task NoVersions_WritesTheShapeItAlwaysHad()
    {
        TestBank bank = new();
        PendingApproval held = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        await bank.Approvals.FlushCallRecordsAsync();

        StateEntry entry = (await bank.Store.GetAsync(held.Id))!;
        Assert.DoesNotContain("policyVersions", entry.Data, StringComparison.Ordinal);
        Assert.All(await bank.Approvals.History.ReadAsync().ToListAsync(), c => Assert.Empty(c.Verdict.PolicyVersions));
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("build\n7")]
    [InlineData("")]
    public void PolicyVersion_BlankOrWithControlCharacters_RefusedNamingIt(string label)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ApprovalService(new InMemoryStateStore(), new ApprovalOptions { PolicyVersion = label }));
        Assert.Contains("ApprovalOptions.PolicyVersion", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyVersion_Over200Characters_Refused() =>
        Assert.Throws<ArgumentException>(() => new ApprovalService(new InMemoryStateStore(), new ApprovalOptions { PolicyVersion = new string('v', 201) }));
}
