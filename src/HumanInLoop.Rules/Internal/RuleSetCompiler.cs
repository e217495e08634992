using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Rules.Internal;

/// <summary>Turns a rule set's configuration into an <see cref="ApprovalRuleSet"/>, or every problem found, each with its path.</summary>
internal static class RuleSetCompiler
{
    /// <summary>Reads, checks and compiles a rule set.</summary>
    /// <exception cref="ApprovalRulesException">Anything is wrong: the message lists every problem with its configuration path.</exception>
    public static ApprovalRuleSet Compile(
        IConfiguration configuration, string prefix, IReadOnlyDictionary<string, IReadOnlyDictionary<string, ValueKind>> tools, TimeProvider time, ILogger logger,
        RulesTelemetry telemetry)
    {
        List<string> problems = [];
        (string? label, string? pin, List<RuleText> rules) = RuleSetReader.Read(configuration, prefix, problems);
        Dictionary<RuleText, Dictionary<string, RuleCondition>> conditions = [];
        foreach (RuleText rule in rules)
        {
            conditions[rule] = Conditions(rule, tools, problems);
        }

        string hash = RuleSetHash.Compute(rules);
        if (pin is not null && !string.Equals(pin, hash, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{prefix}Pin: the rules' hash is {hash}, not the pinned {pin}; the rules are refused.");
        }

        if (problems.Count > 0)
        {
            throw new ApprovalRulesException(problems);
        }

        string version = ApprovalRuleSet.VersionOf(hash, label);
        CompiledRule[] compiled = [.. rules.Select(r => new CompiledRule(r.Name, r.Tool, r.When is not null, conditions[r], Verdict(r).WithOrigin(r.Name, version), Failed(r).WithOrigin(r.Name, version)))];
        return new ApprovalRuleSet(compiled, hash, label, time, logger, telemetry);
    }

    private static Dictionary<string, RuleCondition> Conditions(RuleText rule, IReadOnlyDictionary<string, IReadOnlyDictionary<string, ValueKind>> tools, List<string> problems)
    {
        Dictionary<string, RuleCondition> conditions = new(StringComparer.Ordinal);
        string[] covered = [.. tools.Keys.Where(t => ToolPattern.Matches(rule.Tool, t)).Order(StringComparer.Ordinal)];
        if (covered.Length == 0)
        {
            problems.Add($"{rule.Path}:Tool: '{rule.Tool}' names no tool given to the rules ({string.Join(", ", tools.Keys.Order(StringComparer.Ordinal))}).");
            return conditions;
        }

        if (rule.When is not { } when)
        {
            return conditions;
        }

        foreach (string tool in covered)
        {
            try
            {
                conditions[tool] = RuleCondition.Compile(when, tools[tool]);
            }
            catch (FormatException e)
            {
                problems.Add($"{rule.Path}:When: {(covered.Length > 1 ? $"for the tool '{tool}': " : string.Empty)}{e.Message}");
            }
        }

        return conditions;
    }

    private static PolicyVerdict Verdict(RuleText rule) => rule.Verdict switch
    {
        PolicyVerdictKind.Allow => PolicyVerdict.Allow,
        PolicyVerdictKind.Deny => PolicyVerdict.Deny(rule.Reason!),
        _ => PolicyVerdict.RequireApproval(rule.Reason!, rule.Approvers, rule.ExpiresAfter, rule.RequiredApprovals ?? 1),
    };

    /// <summary>What a rule gives when its condition cannot be evaluated: a person decides, with the rule's approvers if it names any.</summary>
    private static PolicyVerdict Failed(RuleText rule)
    {
        string reason = $"The rule '{rule.Name}' could not be evaluated for this call, so a person decides.";
        return rule.Verdict == PolicyVerdictKind.RequireApproval
            ? PolicyVerdict.RequireApproval($"{reason} {rule.Reason}", rule.Approvers, rule.ExpiresAfter, rule.RequiredApprovals ?? 1)
            : PolicyVerdict.RequireApproval(reason);
    }
}
