namespace HumanInLoop;

/// <summary>A rule in code that decides whether a tool call may run, needs a person, or is refused.</summary>
/// <remarks>
/// Policies are evaluated for every function call of every model response, before anything runs. They see the
/// tool name, the arguments (typed through <see cref="PolicyEvaluationContext.GetArguments{T}"/>), the
/// <see cref="CallerContext"/> and the history. Return <see cref="PolicyVerdict.NotApplicable"/> for tools the
/// policy does not cover. Implementations must be thread-safe and should not call the model.
/// Use <see cref="ApprovalPolicy"/> for the common cases and for lambdas.
/// </remarks>
public interface IApprovalPolicy
{
    /// <summary>Decides on one tool call.</summary>
    /// <param name="context">The call and what surrounds it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The decision.</returns>
    ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext context, CancellationToken cancellationToken);

    /// <summary>Gets the policy's name, recorded with each verdict it decides (<see cref="RecordedVerdict.Policies"/>) and used by reports.</summary>
    /// <value>The type's name unless the policy says otherwise; the <see cref="ApprovalPolicy"/> factories name theirs, and <see cref="ApprovalPolicy.Named"/> renames any policy.</value>
    string Name => GetType().Name;
}
