using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Testing;

/// <summary>
/// The version on every verdict (issue 22), on each store: a rule set swapped between two calls, each call's stored verdict read
/// back (from a second store object over the same storage where the store has one) names the rule and the version that judged it,
/// and the report, the export and the replay group by version.
/// </summary>
public abstract partial class HistoryContractTests
{
    /// <summary>A rule set that holds transfers over $100 and names its (swappable) version on every verdict, NotApplicable included.</summary>
    private sealed class SwappableRules : IApprovalPolicy
    {
        public string Version { get; set; } = "sha256:aaa";

        public string Name => "rules";

        public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken) => ValueTask.FromResult(
            context.ToolName == "transfer" && context.GetArguments<Transfer>().Amount > 100
                ? PolicyVerdict.RequireApproval("Over $100.").WithOrigin("big-transfers", Version)
                : PolicyVerdict.NotApplicable.WithOrigin(null, Version));
    }

    [Fact]
    public async Task PolicyVersions_RulesSwappedBetweenCalls_EachStoredVerdictNamesItsRuleAndVersion_ReportExportAndReplayGroupByThem()
    {
        IStateStore store = await CreateStoreAsync();
        SwappableRules rules = new();
        SwappableRules shadow = new() { Version = "sha256:shadow" };
        IApprovalPolicy allowBalance = ApprovalPolicy.Allow("check_balance");
        FakeTimeProvider time = new(Start);
        ApprovalService approvals = new(store, new ApprovalOptions
        {
            TimeProvider = time,
            PolicyVersion = "app-1.2",
            Policies = { allowBalance, rules },
            ShadowPolicies = { shadow },
        });
        IList<AITool> tools = ApprovalService.ProtectTools(
            AIFunctionFactory.Create((string to, decimal amount) => "sent", "transfer"), AIFunctionFactory.Create(() => 1000m, "check_balance"));
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Text("done")
            : messages[^1].Text.Split(' ') is ["transfer", var amount] ? ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = decimal.Parse(amount, CultureInfo.InvariantCulture) }))
            : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-bal", "check_balance"))))
            .UseFunctionInvocation().UseApprovalGate(approvals).Build();
        async Task<PendingApproval?> Send(string text, string conversation)
        {
            try
            {
                await client.GetResponseAsync([new ChatMessage(ChatRole.User, text)], new ChatOptions { Tools = tools }.WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol", TenantId = "t1" }));
                return null;
            }
            catch (PendingApprovalException pending)
            {
                return pending.Approval;
            }
        }

        PendingApproval first = (await Send("transfer 500", "conv-1"))!;
        rules.Version = "sha256:bbb";
        time.Advance(TimeSpan.FromMinutes(1));
        PendingApproval second = (await Send("transfer 600", "conv-2"))!;
        Assert.Null(await Send("balance", "conv-3")); // allowed by code; the rules' NotApplicable names bbb
        await approvals.DecideAsync(first.Id, "c-tr", ApprovalDecision.Approve(Alice));
        await approvals.FlushCallRecordsAsync();

        ApprovalHistory history = new ApprovalService(await OpenSameStorageAsync(store) ?? store).History;
        List<RecordedCall> calls = await history.ReadAsync().ToListAsync();
        Assert.Equal(3, calls.Count);
        RecordedCall firstCall = calls.Single(c => c.ApprovalId == first.Id), secondCall = calls.Single(c => c.ApprovalId == second.Id), balance = calls.Single(c => c.ToolName == "check_balance");
        Assert.Equal((CallOutcome.Approved, "rules/big-transfers"), (firstCall.Outcome, Assert.Single(firstCall.Verdict.Policies)));
        Assert.Equal(["app-1.2", "sha256:aaa"], firstCall.Verdict.PolicyVersions);
        Assert.Equal((CallOutcome.Awaiting, "rules/big-transfers"), (secondCall.Outcome, Assert.Single(secondCall.Verdict.Policies)));
        Assert.Equal(["app-1.2", "sha256:bbb"], secondCall.Verdict.PolicyVersions);
        Assert.Equal((CallOutcome.Allowed, allowBalance.Name), (balance.Outcome, Assert.Single(balance.Verdict.Policies)));
        Assert.Equal(["app-1.2", "sha256:bbb"], balance.Verdict.PolicyVersions);
        Assert.All(calls, c => Assert.Equal(["app-1.2", "sha256:shadow"], c.ShadowVerdict!.PolicyVersions));
        Assert.Equal(["app-1.2", "sha256:aaa"], Assert.Single((await approvals.GetAsync(first.Id)).AuditTrail, e => e.Event == ApprovalAuditEvent.ApprovalRequested).PolicyVersions);

        AutomationReport report = await history.ReportAsync();
        Assert.Equal(["app-1.2", "sha256:aaa", "sha256:bbb"], report.ByPolicyVersion.Keys);
        Assert.Equal(3, report.ByPolicyVersion["app-1.2"].Seen);
        Assert.Equal((1, 1), (report.ByPolicyVersion["sha256:aaa"].Seen, report.ByPolicyVersion["sha256:aaa"].Approved));
        AutomationFigures bbb = report.ByPolicyVersion["sha256:bbb"];
        Assert.Equal((2, 1, 1), (bbb.Seen, bbb.Awaiting, bbb.Allowed));

        using MemoryStream exported = new();
        Assert.Equal(2, (await history.ExportAsync(exported, new HistoryQuery { PolicyVersion = "sha256:bbb" })).Exported);
        string[] lines = Encoding.UTF8.GetString(exported.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Equal(["app-1.2", "sha256:bbb"],
            JsonDocument.Parse(line).RootElement.GetProperty("verdict").GetProperty("policyVersions").EnumerateArray().Select(v => v.GetString())));

        ReplayReport replay = await history.ReplayAsync([ApprovalPolicy.Allow("transfer", "check_balance")]);
        Assert.Equal(new Dictionary<string, long> { ["app-1.2"] = 3, ["sha256:aaa"] = 1, ["sha256:bbb"] = 2 }, replay.RecordedPolicyVersions);
    }
}
