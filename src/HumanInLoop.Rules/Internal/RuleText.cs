namespace HumanInLoop.Rules.Internal;

/// <summary>One rule as read from configuration, before its condition is compiled; what the rule set's hash is computed over.</summary>
internal sealed record RuleText(
    string Name, string Path, string Tool, string? When, PolicyVerdictKind Verdict, string? Reason, IReadOnlyList<string> Approvers, TimeSpan? ExpiresAfter, int? RequiredApprovals);
