namespace HumanInLoop.Rules.Internal;

/// <summary>One checked rule: which tools it covers, its condition for each tool it was checked against, and the verdicts it gives.</summary>
internal sealed class CompiledRule(string name, string tool, bool hasCondition, IReadOnlyDictionary<string, RuleCondition> conditions, PolicyVerdict verdict, PolicyVerdict failed)
{
    public string Name { get; } = name;

    /// <summary>Gets the verdict when the rule applies, naming the rule and the set's version.</summary>
    public PolicyVerdict Verdict { get; } = verdict;

    /// <summary>Gets the verdict when the condition cannot be evaluated: the call waits for a person (never allowed).</summary>
    public PolicyVerdict Failed { get; } = failed;

    public bool Covers(string toolName) => ToolPattern.Matches(tool, toolName);

    /// <summary>Whether the rule applies to a call of a tool it covers.</summary>
    /// <exception cref="RuleEvaluationException">The condition cannot be evaluated for this call.</exception>
    public bool Applies(string toolName, RuleScope scope)
    {
        if (!hasCondition)
        {
            return true;
        }

        return conditions.TryGetValue(toolName, out RuleCondition? condition)
            ? condition.IsTrue(scope)
            : throw new RuleEvaluationException($"The tool '{toolName}' was not among the tools given when the rules were loaded, so the condition was not checked against it.");
    }
}
