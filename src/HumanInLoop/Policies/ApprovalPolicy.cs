using System.Text.Json;

namespace HumanInLoop;

/// <summary>Built-in policies for the common cases, and lambdas as policies.</summary>
/// <remarks>Tool names match ordinally (case-sensitive), as tool names do in Microsoft.Extensions.AI.</remarks>
public static class ApprovalPolicy
{
    /// <summary>Lets the named tools run at once.</summary>
    /// <param name="toolNames">The tools to allow.</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy Allow(params string[] toolNames)
    {
        HashSet<string> names = ToSet(toolNames);
        return Named($"Allow({string.Join(", ", toolNames)})", Create(call => names.Contains(call.ToolName) ? PolicyVerdict.Allow : PolicyVerdict.NotApplicable));
    }

    /// <summary>Holds every call of a tool for a person, whatever its arguments.</summary>
    /// <param name="toolName">The tool.</param>
    /// <param name="reason">Why, as shown to the approver.</param>
    /// <param name="approvers">Ids or roles that may approve; <see langword="null"/> means any approver.</param>
    /// <param name="expiresAfter">How long the approval may wait; <see langword="null"/> uses the default.</param>
    /// <param name="requiredApprovals">How many different people must approve (default 1; 2 for a four-eyes rule).</param>
    /// <param name="escalation">Whom to escalate an undecided call to, and when; <see langword="null"/> for none (see <see cref="PolicyVerdict.RequireApproval"/>).</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy RequireApproval(
        string toolName, string reason, IEnumerable<string>? approvers = null, TimeSpan? expiresAfter = null, int requiredApprovals = 1,
        ApprovalEscalation? escalation = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toolName);
        PolicyVerdict decision = PolicyVerdict.RequireApproval(reason, approvers, expiresAfter, requiredApprovals, escalation);
        return Named($"RequireApproval({toolName})", Create(call => call.ToolName == toolName ? decision : PolicyVerdict.NotApplicable));
    }

    /// <summary>
    /// Holds a call of a tool for a person when <paramref name="condition"/> holds for its typed arguments, and allows it otherwise.
    /// Arguments that cannot be read as <typeparamref name="TArguments"/> are held too (fail closed).
    /// </summary>
    /// <typeparam name="TArguments">A type with the tool's parameters, such as <c>record Transfer(string To, decimal Amount)</c>.</typeparam>
    /// <param name="toolName">The tool.</param>
    /// <param name="condition">When the call needs a person, for example <c>t =&gt; t.Amount &gt; 100</c>.</param>
    /// <param name="reason">Why, as shown to the approver.</param>
    /// <param name="approvers">Ids or roles that may approve; <see langword="null"/> means any approver.</param>
    /// <param name="expiresAfter">How long the approval may wait; <see langword="null"/> uses the default.</param>
    /// <param name="requiredApprovals">How many different people must approve (default 1; 2 for a four-eyes rule).</param>
    /// <param name="escalation">Whom to escalate an undecided call to, and when; <see langword="null"/> for none (see <see cref="PolicyVerdict.RequireApproval"/>).</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy RequireApprovalWhen<TArguments>(
        string toolName, Func<TArguments, bool> condition, string reason, IEnumerable<string>? approvers = null, TimeSpan? expiresAfter = null,
        int requiredApprovals = 1, ApprovalEscalation? escalation = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toolName);
        ArgumentNullException.ThrowIfNull(condition);
        PolicyVerdict decision = PolicyVerdict.RequireApproval(reason, approvers, expiresAfter, requiredApprovals, escalation);
        return Named($"RequireApprovalWhen({toolName})", Create(call =>
        {
            if (call.ToolName != toolName)
            {
                return PolicyVerdict.NotApplicable;
            }

            TArguments arguments;
            try
            {
                arguments = call.GetArguments<TArguments>();
            }
            catch (JsonException exception)
            {
                return PolicyVerdict.RequireApproval(
                    $"{reason} (The arguments could not be checked automatically: {exception.Message})", decision.Approvers, decision.ExpiresAfter, decision.RequiredApprovals,
                    decision.Escalation);
            }

            return condition(arguments) ? decision : PolicyVerdict.Allow;
        }));
    }

    /// <summary>The name <see cref="ApprovalRequiredAIFunctions"/> records with its verdicts.</summary>
    public const string ApprovalRequiredAIFunctionName = "ApprovalRequiredAIFunction";

    /// <summary>
    /// Holds every call of a tool marked with Microsoft.Extensions.AI's <c>ApprovalRequiredAIFunction</c> for a person
    /// (<see cref="PolicyEvaluationContext.IsToolMarkedApprovalRequired"/>), whatever its arguments; says nothing about other tools.
    /// It is on by default (<see cref="ApprovalOptions.ApprovalRequiredAIFunctionPolicy"/>), so a team that already marks its
    /// tools gets one approval system. Recorded as <see cref="ApprovalRequiredAIFunctionName"/>.
    /// </summary>
    /// <param name="reason">Why, as shown to the approver; <see langword="null"/> for a sentence that names the marker.</param>
    /// <param name="approvers">Ids or roles that may approve; <see langword="null"/> means any approver.</param>
    /// <param name="expiresAfter">How long the approval may wait; <see langword="null"/> uses the default.</param>
    /// <param name="requiredApprovals">How many different people must approve (default 1).</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy ApprovalRequiredAIFunctions(
        string? reason = null, IEnumerable<string>? approvers = null, TimeSpan? expiresAfter = null, int requiredApprovals = 1)
    {
        PolicyVerdict decision = PolicyVerdict.RequireApproval(
            reason ?? "The tool is marked ApprovalRequiredAIFunction, so a person must decide.", approvers, expiresAfter, requiredApprovals);
        return Named(ApprovalRequiredAIFunctionName, Create(call => call.IsToolMarkedApprovalRequired ? decision : PolicyVerdict.NotApplicable));
    }

    /// <summary>Refuses every call of the named tool; the model is told why.</summary>
    /// <param name="toolName">The tool.</param>
    /// <param name="reason">Why, as sent to the model.</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy Deny(string toolName, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toolName);
        PolicyVerdict decision = PolicyVerdict.Deny(reason);
        return Named($"Deny({toolName})", Create(call => call.ToolName == toolName ? decision : PolicyVerdict.NotApplicable));
    }

    /// <summary>Makes a policy from a synchronous function.</summary>
    /// <param name="evaluate">Decides on one call.</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy Create(Func<PolicyEvaluationContext, PolicyVerdict> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        return new DelegatePolicy((call, _) => new ValueTask<PolicyVerdict>(evaluate(call)));
    }

    /// <summary>Makes a policy from an asynchronous function.</summary>
    /// <param name="evaluate">Decides on one call.</param>
    /// <returns>The policy.</returns>
    public static IApprovalPolicy Create(Func<PolicyEvaluationContext, CancellationToken, ValueTask<PolicyVerdict>> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        return new DelegatePolicy(evaluate);
    }

    /// <summary>Gives a policy the name that records and reports show for its verdicts.</summary>
    /// <param name="name">The name, for example <c>"transfers-over-100"</c>.</param>
    /// <param name="policy">The policy.</param>
    /// <returns>A policy that decides as <paramref name="policy"/> does, named <paramref name="name"/>.</returns>
    public static IApprovalPolicy Named(string name, IApprovalPolicy policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(policy);
        return new NamedPolicy(name, policy);
    }

    private static HashSet<string> ToSet(string[] toolNames)
    {
        ArgumentNullException.ThrowIfNull(toolNames);
        foreach (string name in toolNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(toolNames));
        }

        return new HashSet<string>(toolNames, StringComparer.Ordinal);
    }

    private sealed class NamedPolicy(string name, IApprovalPolicy inner) : IApprovalPolicy
    {
        public string Name => name;

        public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken) =>
            inner.EvaluateAsync(context, cancellationToken);
    }

    private sealed class DelegatePolicy(Func<PolicyEvaluationContext, CancellationToken, ValueTask<PolicyVerdict>> evaluate) : IApprovalPolicy
    {
        public string Name => "custom";

        public ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken) =>
            evaluate(context, cancellationToken);
    }
}
