namespace HumanInLoop.Rules.Internal;

/// <summary>A condition could not be evaluated for one call (a missing or mistyped argument, or a value beyond the bounds).</summary>
internal sealed class RuleEvaluationException(string message, bool boundExceeded = false) : Exception(message)
{
    /// <summary>Gets whether the evaluation stopped at a bound (<see cref="RuleScope.MaxStringLength"/>) rather than at an error.</summary>
    public bool BoundExceeded { get; } = boundExceeded;
}
