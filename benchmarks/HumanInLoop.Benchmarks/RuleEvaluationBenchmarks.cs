using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using HumanInLoop.Rules;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// One policy's verdict on one call, a configured rule against a code policy with the same condition (<c>amount &gt; 100</c>), on a
/// fresh <see cref="PolicyEvaluationContext"/> per call as the gate makes one (its constructor is internal: it is reached once, in
/// setup, through reflection). The baseline makes the context alone; a policy's cost is its row minus the baseline. The code policy
/// reads the arguments into a record (<see cref="PolicyEvaluationContext.GetArguments{T}"/>), the rule reads the one argument it names
/// from the JSON arguments.
/// </summary>
[MemoryDiagnoser]
public class RuleEvaluationBenchmarks
{
    private static readonly JsonElement Arguments = JsonSerializer.SerializeToElement(new { amount = 50m, to = "bob" });
    private static readonly IReadOnlyList<ChatMessage> Messages = [new(ChatRole.User, "Send 50 to Bob.")];
    private Func<PolicyEvaluationContext> _newContext = null!;
    private IApprovalPolicy _code = null!;
    private ApprovalRuleSet _rule = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        ConstructorInfo constructor = typeof(PolicyEvaluationContext).GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single();
        Expression[] values =
        [
            Expression.Constant("transfer"), Expression.Constant("call-1"), Expression.Constant(null, typeof(IDictionary<string, object?>)),
            Expression.Constant(Arguments, typeof(JsonElement?)), Expression.Constant(CallerContext.Empty), Expression.Constant(Messages), Expression.Constant(false),
        ];
        _newContext = Expression.Lambda<Func<PolicyEvaluationContext>>(Expression.New(constructor, values)).Compile();
        // The same rule in code: RequireApprovalWhen would also allow the call when the condition fails, which the rule does not say.
        PolicyVerdict hold = PolicyVerdict.RequireApproval("Transfers over 100 need a person.");
        _code = ApprovalPolicy.Create(call => call.ToolName == "transfer" && call.GetArguments<PolicyEvaluationBenchmarks.Transfer>().Amount > 100 ? hold : PolicyVerdict.NotApplicable);
        AIFunction transfer = AIFunctionFactory.Create((string to, decimal amount) => "sent", "transfer");
        _rule = ApprovalRuleSet.FromJson(
            """{ "Rules": { "big-transfers": { "Tool": "transfer", "When": "amount > 100", "Verdict": "RequireApproval", "Reason": "Transfers over 100 need a person." } } }""",
            [transfer]);
        if ((await CodePolicy()).Kind != PolicyVerdictKind.NotApplicable || (await ConfiguredRule()).Kind != PolicyVerdictKind.NotApplicable)
        {
            throw new InvalidOperationException("Setup check failed: a transfer of 50 should be left to the other policies by both.");
        }
    }

    [Benchmark(Baseline = true, Description = "Context only")]
    public PolicyEvaluationContext ContextOnly() => _newContext();

    [Benchmark(Description = "Code policy (amount > 100)")]
    public ValueTask<PolicyVerdict> CodePolicy() => _code.EvaluateAsync(_newContext(), CancellationToken.None);

    [Benchmark(Description = "Configured rule (amount > 100)")]
    public ValueTask<PolicyVerdict> ConfiguredRule() => _rule.EvaluateAsync(_newContext(), CancellationToken.None);
}
