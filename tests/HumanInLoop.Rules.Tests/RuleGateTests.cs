using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace HumanInLoop.Rules.Tests;

/// <summary>Rules read from JSON, judged through the real gate (a scripted model, function invocation, the approval gate).</summary>
public sealed class RuleGateTests
{
    internal const string BigTransfers = """
        {
          "Label": "limits",
          "Rules": {
            "big-transfers": { "Tool": "transfer_funds", "When": "amount > 100", "Verdict": "RequireApproval", "Reason": "Transfers over 100 need a person.", "Approvers": [ "payments" ] },
            "small-transfers": { "Tool": "transfer_funds", "When": "amount <= 100", "Verdict": "Allow" },
            "balances": { "Tool": "check_balance", "Verdict": "Allow" }
          }
        }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JsonRule_TransferOver100_IsHeldAnd99_99Runs(bool streaming)
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(BigTransfers, bank.Tools, bank.Time);
        IChatClient gate = bank.Gate(bank.Service(rules));

        bank.NextArguments = RulesBank.TransferOf(150m);
        PendingApproval? held = await bank.SendAsync(gate, streaming);
        Assert.NotNull(held);
        PendingToolCall call = Assert.Single(held.AwaitingApproval);
        Assert.Equal("transfer_funds", call.ToolName);
        Assert.Equal(["rules/big-transfers"], call.Policies); // stored with the held call: the rule that decided...
        Assert.Equal([rules.Version], call.PolicyVersions);   // ...and the version of the rules in force
        Assert.Equal([rules.Version], Assert.Single(held.AuditTrail, e => e.Event == ApprovalAuditEvent.ApprovalRequested).PolicyVersions);
        Assert.Empty(bank.Ran);

        bank.NextArguments = RulesBank.TransferOf(99.99m);
        Assert.Null(await bank.SendAsync(gate, streaming));
        Assert.Equal(["transfer 99.99 EUR to bob"], bank.Ran);

        // Both verdicts name the rule that decided and the set's version.
        PolicyVerdict[] verdicts = [.. bank.Verdicts];
        Assert.Equal([PolicyVerdictKind.RequireApproval, PolicyVerdictKind.Allow], verdicts.Select(v => v.Kind));
        Assert.Equal(["big-transfers", "small-transfers"], verdicts.Select(v => v.Rule));
        Assert.All(verdicts, v => Assert.Equal(rules.Version, v.Version));
        Assert.Equal(["payments"], verdicts[0].Approvers);
        Assert.StartsWith("limits sha256:", rules.Version, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100", false)]
    [InlineData("100.0", false)]
    [InlineData("100.00000000000000000000000", false)]
    [InlineData("100.01", true)]
    [InlineData("100.0000000000000000000000001", true)]
    [InlineData("99.99", false)]
    public async Task Amounts_CompareAsDecimals_NeverThroughADouble(string amount, bool held)
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(BigTransfers, bank.Tools, bank.Time);
        IChatClient gate = bank.Gate(bank.Service(rules));

        bank.NextArguments = RulesBank.TransferOf(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(held, await bank.SendAsync(gate) is not null);
        Assert.Equal(held ? 0 : 1, bank.Ran.Count);
    }

    [Theory]
    [InlineData("amount == 100", "100.0", true)]
    [InlineData("amount == 100.0", "100", true)]
    [InlineData("amount == 100.01", "100.01", true)]
    [InlineData("amount * 3 == 300.03", "100.01", true)]
    [InlineData("0.1 + 0.2 == 0.3", "1", true)]
    [InlineData("amount > 100.01", "100.01", false)]
    [InlineData("amount > 100.01", "100.010000000000000000000001", true)]
    [InlineData("Round(amount / 3, 2) == 33.34", "100.01", true)]
    [InlineData("Max(amount, fee) == amount and Min(amount, fee) == fee", "100.01", true)]
    [InlineData("Abs(-amount) == 100.01", "100.01", true)]
    [InlineData("if(currency == 'EUR', amount, 0) > 100", "100.01", true)]
    [InlineData("currency == 'EUR' ? amount > 1000 : true", "100.01", false)]
    [InlineData("amount % 2 == 0.01 and not (amount - 0.01 != 100)", "100.01", true)]
    public async Task Conditions_OnDecimals_AreExact(string when, string amount, bool applies)
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Single(when, "Deny"), bank.Tools, bank.Time);
        bank.NextArguments = RulesBank.TransferOf(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));
        await bank.SendAsync(bank.Gate(bank.Service(rules)));
        PolicyVerdict verdict = Assert.Single(bank.Verdicts);
        Assert.Equal(applies ? PolicyVerdictKind.Deny : PolicyVerdictKind.NotApplicable, verdict.Kind);
        Assert.Empty(bank.Ran); // denied, or held by the unmatched default
    }

    [Fact]
    public async Task Context_UserTenantAndTime_AreReadable()
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(
            Single("_user == 'carol' and _tenant in ('acme', 'globex') and _conversation == 'conv-1' and _tool == 'transfer_funds' and _hour == 9 and _minute == 30 and _weekday == 1 and _date >= '2026-12-07'", "Deny"),
            bank.Tools, bank.Time);
        bank.NextArguments = RulesBank.TransferOf(5m);
        await bank.SendAsync(bank.Gate(bank.Service(rules)));
        Assert.Equal(PolicyVerdictKind.Deny, Assert.Single(bank.Verdicts).Kind);

        bank.Time.Advance(TimeSpan.FromHours(1));
        await bank.SendAsync(bank.Gate(bank.Service(rules)));
        Assert.Equal(PolicyVerdictKind.NotApplicable, bank.Verdicts.Last().Kind);
    }

    [Fact]
    public async Task CallNoRuleCovers_IsNotApplicable_NamingTheVersion_AndTheUnmatchedDefaultHoldsIt()
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Single("amount > 100", "RequireApproval"), bank.Tools, bank.Time);
        bank.NextTool = "check_balance";
        bank.NextArguments = new() { ["account"] = "main" };
        Assert.NotNull(await bank.SendAsync(bank.Gate(bank.Service(rules))));
        PolicyVerdict verdict = Assert.Single(bank.Verdicts);
        Assert.Equal(PolicyVerdictKind.NotApplicable, verdict.Kind);
        Assert.Null(verdict.Rule);
        Assert.Equal(rules.Version, verdict.Version);
    }

    [Theory]
    [InlineData("RequireApproval", "Allow", "held")]
    [InlineData("Allow", "Deny", "denied")]
    [InlineData("Deny", "RequireApproval", "denied")]
    [InlineData("Allow", "RequireApproval", "held")]
    [InlineData("Allow", "Allow", "ran")]
    public async Task RuleAndCodePolicy_Disagree_DenyOverRequireApprovalOverAllow(string rule, string code, string expected)
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Single("amount > 100", rule), bank.Tools, bank.Time);
        IApprovalPolicy policy = code switch
        {
            "Allow" => ApprovalPolicy.Allow("transfer_funds"),
            "Deny" => ApprovalPolicy.Deny("transfer_funds", "No transfers today."),
            _ => ApprovalPolicy.RequireApproval("transfer_funds", "All transfers need a person."),
        };
        bank.NextArguments = RulesBank.TransferOf(500m);
        PendingApproval? held = await bank.SendAsync(bank.Gate(bank.Service(rules, policy)));
        string outcome = held is not null ? "held" : bank.Ran.IsEmpty ? "denied" : "ran";
        Assert.Equal(expected, outcome);
    }

    [Fact]
    public async Task SeveralRulesRequireApproval_MergeAsPoliciesDo()
    {
        const string Json = """
            { "Rules": {
                "a-big": { "Tool": "transfer_funds", "When": "amount > 100", "Verdict": "RequireApproval", "Reason": "Big.", "Approvers": [ "payments", "lead" ], "ExpiresAfter": "1.00:00:00" },
                "b-foreign": { "Tool": "transfer_*", "When": "currency != 'EUR'", "Verdict": "RequireApproval", "Reason": "Foreign.", "Approvers": [ "lead" ], "RequiredApprovals": 2, "ExpiresAfter": "04:00:00" }
            } }
            """;
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Json, bank.Tools, bank.Time);
        bank.NextArguments = RulesBank.TransferOf(500m, "USD");
        Assert.NotNull(await bank.SendAsync(bank.Gate(bank.Service(rules))));
        PolicyVerdict verdict = Assert.Single(bank.Verdicts);
        Assert.Equal("a-big+b-foreign", verdict.Rule);
        Assert.Equal(["lead"], verdict.Approvers);
        Assert.Equal(2, verdict.RequiredApprovals);
        Assert.Equal(TimeSpan.FromHours(4), verdict.ExpiresAfter);
        Assert.Equal("Big. Foreign.", verdict.Reason);
    }

    [Theory]
    [InlineData("amount / fee < 1000", 0, "rent", "error")]
    [InlineData("amount * 79228162514264337593543950335 > 0", 1, "rent", "error")]
    [InlineData("memo != 'x'", 1, null, "bound")]
    public async Task AllowRule_ThatCannotBeEvaluated_RequiresApproval_IsLoggedAndCounted(string when, int fee, string? memo, string failure)
    {
        RulesBank bank = new();
        using MetricCollector<long> failed = new(null, "HumanInLoop", "humaninloop.rules.evaluations.failed");
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Single(when, "Allow"), bank.Tools, bank.Time);
        bank.NextArguments = RulesBank.TransferOf(50m, fee: fee, memo: memo ?? new string('m', 5000));
        PendingApproval? held = await bank.SendAsync(bank.Gate(bank.Service(rules, ApprovalPolicy.Allow("transfer_funds"))));

        Assert.NotNull(held);
        Assert.Empty(bank.Ran);
        PolicyVerdict verdict = Assert.Single(bank.Verdicts);
        Assert.Equal(PolicyVerdictKind.RequireApproval, verdict.Kind);
        Assert.Equal("the-rule", verdict.Rule);
        Assert.Contains(failed.GetMeasurementSnapshot(), m => m.Value == 1 && Equals(m.Tags["humaninloop.rules.failure"], failure) && Equals(m.Tags["humaninloop.rules.rule"], "the-rule"));
    }

    [Fact]
    public async Task MissingOrMistypedArgument_RequiresApproval()
    {
        RulesBank bank = new();
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(Single("amount < 100", "Allow"), bank.Tools, bank.Time);
        IChatClient gate = bank.Gate(bank.Service(rules));
        bank.NextArguments = new() { ["to"] = "bob", ["amount"] = "5", ["currency"] = "EUR", ["fee"] = 1m, ["memo"] = "x" };
        Assert.NotNull(await bank.SendAsync(gate));
        bank.NextArguments = new() { ["to"] = "bob" };
        await bank.SendAsync(gate);
        Assert.Equal([PolicyVerdictKind.RequireApproval, PolicyVerdictKind.RequireApproval], bank.Verdicts.Select(v => v.Kind));
        Assert.Empty(bank.Ran);
    }

    internal static string Single(string when, string verdict) => $$"""
        { "Rules": { "the-rule": { "Tool": "transfer_funds", "When": "{{when}}", "Verdict": "{{verdict}}"{{(verdict == "Allow" ? "" : ", \"Reason\": \"Because.\"")}} } } }
        """;
}
