using Microsoft.Extensions.Options;

namespace HumanInLoop.Rules.Internal;

/// <summary>The policy a registration adds: each call is judged by the one rule set in force when the call is judged (read once per call).</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ConfiguredRules(IOptionsMonitor<RuleSetSnapshot> monitor, string name) : IApprovalPolicy
{
    public string Name => "rules";

    /// <summary>Gets the rule set in force.</summary>
    /// <exception cref="OptionsValidationException">The first rule set was refused (and the host did not validate it at start).</exception>
    public ApprovalRuleSet Current => monitor.Get(name).Current ?? throw new InvalidOperationException("The rules were not loaded.");

    public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken) =>
        Current.EvaluateAsync(context, cancellationToken);
}
