namespace HumanInLoop.Rules.Internal;

/// <summary>The options a registration's <c>IOptionsMonitor</c> serves: the rule set in force, or the problems that refused the first one.</summary>
internal sealed class RuleSetSnapshot
{
    public ApprovalRuleSet? Current { get; set; }

    public IReadOnlyList<string> Problems { get; set; } = [];
}
