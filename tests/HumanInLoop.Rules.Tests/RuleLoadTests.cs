namespace HumanInLoop.Rules.Tests;

/// <summary>What a rule set may not be: each refused when loaded, with the path of the problem, never silently ignored.</summary>
public sealed class RuleLoadTests
{
    [Theory]
    [InlineData("amount.Foo > 1", "does not parse")]
    [InlineData("amount > 'x'", "must be a number, not a string")]
    [InlineData("amount", "must be true or false")]
    [InlineData("amout > 100", "The name 'amout' is neither an argument of the tool (amount, currency, fee, memo, to)")]
    [InlineData("[System.IO.File] > 1", "The name 'System.IO.File' is neither an argument")]
    [InlineData("{System.Environment} == 'x'", "The name 'System.Environment' is neither an argument")]
    [InlineData("Exit(1) == 1", "The function 'Exit' is not allowed")]
    [InlineData("Pow(amount, 1000000) > 1", "The function 'Pow' is not allowed")]
    [InlineData("amount ** 2 > 1", "not allowed")]
    [InlineData("memo like '%x%'", "not allowed")]
    [InlineData("(fee & 1) == 1", "not allowed")]
    [InlineData("amount > 100 and", "does not parse")]
    [InlineData("currency in (1, 2)", "must be a string, not a number")]
    [InlineData("#2026-01-01# > 1", "does not parse")]
    public void Condition_ReachingBeyondTheArguments_IsRefusedAtLoad(string when, string problem)
    {
        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(RuleGateTests.Single(when, "Deny"), new RulesBank().Tools));
        string message = Assert.Single(refused.Problems);
        Assert.StartsWith("JSON: Rules:the-rule:When: ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Condition_VeryLongOrDeep_IsRefusedAtLoad()
    {
        RulesBank bank = new();
        string tooLong = string.Join(" or ", Enumerable.Repeat("amount > 100", 80));
        Assert.Contains("at most 1000 are allowed", Assert.Single(Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(RuleGateTests.Single(tooLong, "Deny"), bank.Tools)).Problems), StringComparison.Ordinal);
        string many = $"currency in ({string.Join(", ", Enumerable.Range(0, 120).Select(i => $"'c{i}'"))})";
        Assert.Contains("more than 100", Assert.Single(Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(RuleGateTests.Single(many, "Deny"), bank.Tools)).Problems), StringComparison.Ordinal);
        string deep = new string('(', 40) + "amount > 1" + new string(')', 40);
        string deepNot = string.Concat(Enumerable.Repeat("not ", 40)) + "amount > 1";
        Assert.Contains("deeper than 32", Assert.Single(Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(RuleGateTests.Single(deepNot, "Deny"), bank.Tools)).Problems), StringComparison.Ordinal);
        Assert.Equal("the-rule", Assert.Single(ApprovalRuleSet.FromJson(RuleGateTests.Single(deep, "Deny"), bank.Tools).RuleNames));
    }

    [Theory]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "RequireAproval", "Reason": "x" } } }""", "JSON: Rules:r:Verdict: 'RequireAproval' is not a verdict")]
    [InlineData("""{ "Rules": { "r": { "Tool": "wire_money", "Verdict": "Deny", "Reason": "x" } } }""", "JSON: Rules:r:Tool: 'wire_money' names no tool given to the rules (check_balance, transfer_funds)")]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "Deny", "Reason": "x", "Condition": "amount > 1" } } }""", "JSON: Rules:r:Condition: unknown key")]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "Deny" } } }""", "JSON: Rules:r:Reason: missing")]
    [InlineData("""{ "Rules": { "r": { "Verdict": "Allow" } } }""", "JSON: Rules:r:Tool: missing")]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "Allow", "Approvers": [ "a" ] } } }""", "apply only to a RequireApproval rule")]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "RequireApproval", "Reason": "x", "ExpiresAfter": "soon" } } }""", "JSON: Rules:r:ExpiresAfter: 'soon' is not a positive time span")]
    [InlineData("""{ "Rules": { "r": { "Tool": "transfer_funds", "Verdict": "RequireApproval", "Reason": "x", "RequiredApprovals": "0" } } }""", "JSON: Rules:r:RequiredApprovals: '0' is not a whole number")]
    [InlineData("""{ "Rule": { } }""", "JSON: Rule: unknown key; the keys are Label, Pin, Rules.")]
    [InlineData("""{ "Rules": { } }""", "no rule is configured")]
    [InlineData("""{ "Rules": { "r": { "Tool": "*", "When": "amount > 1", "Verdict": "Deny", "Reason": "x" } } }""", "JSON: Rules:r:When: for the tool 'check_balance': The name 'amount' is neither an argument of the tool (account)")]
    [InlineData("""[ 1, 2 ]""", "JSON: not a JSON object of rules")]
    [InlineData("""{ "Rules": { "r": "Deny" } }""", "JSON: Rules:r: a rule is a section")]
    public void RuleSet_Malformed_IsRefusedWithThePath(string json, string problem)
    {
        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(json, new RulesBank().Tools));
        Assert.Contains(refused.Problems, p => p.Contains(problem, StringComparison.Ordinal));
        Assert.Contains(problem, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleSet_SeveralProblems_AreAllReported()
    {
        const string Json = """
            { "Rules": {
                "a": { "Tool": "transfer_funds", "When": "amount > 'x'", "Verdict": "Deny", "Reason": "x" },
                "b": { "Tool": "nope", "Verdict": "Allow" },
                "c": { "Tool": "transfer_funds", "Verdict": "Maybe" }
            } }
            """;
        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(Json, new RulesBank().Tools));
        string[] paths = ["JSON: Rules:a:When: ", "JSON: Rules:b:Tool: ", "JSON: Rules:c:Verdict: "];
        Assert.Equal(paths.Length, refused.Problems.Count);
        Assert.All(paths, path => Assert.Single(refused.Problems, p => p.StartsWith(path, StringComparison.Ordinal)));
    }

    [Fact]
    public void Hash_IgnoresOrderSpacingAndLabel_ButNotTheLimit()
    {
        RulesBank bank = new();
        ApprovalRuleSet first = ApprovalRuleSet.FromJson(RuleGateTests.BigTransfers, bank.Tools);
        ApprovalRuleSet reordered = ApprovalRuleSet.FromJson("""
            { "Rules": {
              "balances": { "Verdict": "allow", "Tool": "check_balance" },
              "small-transfers": { "Tool": "transfer_funds", "When": "amount <= 100", "Verdict": "Allow" },
              "big-transfers": { "Approvers": [ "payments" ], "Tool": "transfer_funds", "When": " amount > 100 ", "Verdict": "RequireApproval", "Reason": "Transfers over 100 need a person." }
            }, "Label": "other" }
            """, bank.Tools);
        ApprovalRuleSet raised = ApprovalRuleSet.FromJson(RuleGateTests.BigTransfers.Replace("100", "500", StringComparison.Ordinal), bank.Tools);

        Assert.Equal(first.Hash, reordered.Hash);
        Assert.NotEqual(first.Version, reordered.Version);
        Assert.Equal("other " + first.Hash[..23], reordered.Version);
        Assert.NotEqual(first.Hash, raised.Hash);
        Assert.Matches("^sha256:[0-9a-f]{64}$", first.Hash);
    }

    [Fact]
    public void Pin_Mismatch_IsRefused_AndTheRightPinLoads()
    {
        RulesBank bank = new();
        string hash = ApprovalRuleSet.FromJson(RuleGateTests.BigTransfers, bank.Tools).Hash;
        string pinned = RuleGateTests.BigTransfers.Replace("\"Label\": \"limits\"", $"\"Label\": \"limits\", \"Pin\": \"{hash}\"", StringComparison.Ordinal);
        Assert.Equal(hash, ApprovalRuleSet.FromJson(pinned, bank.Tools).Hash);

        string tampered = pinned.Replace("amount > 100", "amount > 100000", StringComparison.Ordinal);
        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(tampered, bank.Tools));
        Assert.StartsWith("JSON: Pin: the rules' hash is sha256:", Assert.Single(refused.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Declarations_WithSchemasOnly_GiveTheArgumentTypes()
    {
        System.Text.Json.JsonElement schema = System.Text.Json.JsonDocument.Parse("""
            { "type": "object", "properties": {
                "count": { "type": "integer" }, "note": { "type": ["string", "null"] }, "flag": { "type": "boolean" }, "items": { "type": "array" } } }
            """).RootElement;
        Microsoft.Extensions.AI.AIFunctionDeclaration bulk = Microsoft.Extensions.AI.AIFunctionFactory.CreateDeclaration("bulk_pay", "Pays many.", schema);
        ApprovalRuleSet rules = ApprovalRuleSet.FromJson(
            """{ "Rules": { "r": { "Tool": "bulk_pay", "When": "count > 10 and note != '' and not flag", "Verdict": "Deny", "Reason": "x" } } }""", [bulk]);
        Assert.Equal(["r"], rules.RuleNames);

        ApprovalRulesException refused = Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.FromJson(
            """{ "Rules": { "r": { "Tool": "bulk_pay", "When": "items == 1", "Verdict": "Deny", "Reason": "x" } } }""", [bulk]));
        Assert.Contains("The name 'items' is neither an argument of the tool (count, flag, note)", Assert.Single(refused.Problems), StringComparison.Ordinal);
    }
}
