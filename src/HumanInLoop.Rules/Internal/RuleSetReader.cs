using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace HumanInLoop.Rules.Internal;

/// <summary>Reads a rule set's configuration: every key must be known and every value must convert, or a problem names its path.</summary>
internal static class RuleSetReader
{
    private static readonly string[] s_setKeys = ["Label", "Pin", "Rules"];
    private static readonly string[] s_ruleKeys = ["Tool", "When", "Verdict", "Reason", "Approvers", "ExpiresAfter", "RequiredApprovals"];

    /// <summary>Reads the set's label, pin and rules; problems go to <paramref name="problems"/>, each starting with its path.</summary>
    public static (string? Label, string? Pin, List<RuleText> Rules) Read(IConfiguration configuration, string prefix, List<string> problems)
    {
        foreach (IConfigurationSection child in configuration.GetChildren())
        {
            Known(child, s_setKeys, prefix, problems);
        }

        string? label = Text(configuration["Label"]);
        string? pin = Text(configuration["Pin"]);
        List<RuleText> rules = [];
        IConfigurationSection rulesSection = configuration.GetSection("Rules");
        foreach (IConfigurationSection rule in rulesSection.GetChildren())
        {
            if (Rule(rule, prefix, problems) is { } text)
            {
                rules.Add(text);
            }
        }

        if (rules.Count == 0 && problems.Count == 0)
        {
            problems.Add($"{prefix}Rules: no rule is configured; an empty rule set is refused (remove the registration to have none).");
        }

        return (label, pin, rules);
    }

    private static RuleText? Rule(IConfigurationSection rule, string prefix, List<string> problems)
    {
        string path = prefix + "Rules:" + rule.Key;
        int before = problems.Count;
        if (rule.Value is not null && !rule.GetChildren().Any())
        {
            problems.Add($"{path}: a rule is a section with Tool, Verdict and the other keys, not a value.");
            return null;
        }

        foreach (IConfigurationSection child in rule.GetChildren())
        {
            Known(child, s_ruleKeys, path + ":", problems);
        }

        string? tool = Text(rule["Tool"]);
        if (tool is null)
        {
            problems.Add($"{path}:Tool: missing; name the tool, or a pattern such as 'transfer_*'.");
        }

        PolicyVerdictKind verdict = Verdict(rule["Verdict"], path + ":Verdict", problems);
        string? reason = Text(rule["Reason"]);
        if (reason is null && verdict is PolicyVerdictKind.RequireApproval or PolicyVerdictKind.Deny)
        {
            problems.Add($"{path}:Reason: missing; a {verdict} rule says why (shown to the approver, or sent to the model).");
        }

        IConfigurationSection approversSection = rule.GetSection("Approvers");
        string[] approvers = approversSection.Value is { } single ? [single] : [.. approversSection.GetChildren().Select(c => c.Value).OfType<string>()];
        TimeSpan? expiresAfter = Span(rule["ExpiresAfter"], path + ":ExpiresAfter", problems);
        int? required = Count(rule["RequiredApprovals"], path + ":RequiredApprovals", problems);
        if (verdict != PolicyVerdictKind.RequireApproval && (approvers.Length > 0 || expiresAfter is not null || required is not null))
        {
            problems.Add($"{path}: Approvers, ExpiresAfter and RequiredApprovals apply only to a RequireApproval rule.");
        }

        return problems.Count == before
            ? new RuleText(rule.Key, path, tool!, Text(rule["When"]), verdict, reason, approvers, expiresAfter, required)
            : null;
    }

    private static void Known(IConfigurationSection child, string[] keys, string prefix, List<string> problems)
    {
        if (!keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"{prefix}{child.Key}: unknown key; the keys are {string.Join(", ", keys)}.");
        }
    }

    private static PolicyVerdictKind Verdict(string? value, string path, List<string> problems)
    {
        switch (value?.Trim())
        {
            case string v when v.Equals("Allow", StringComparison.OrdinalIgnoreCase):
                return PolicyVerdictKind.Allow;
            case string v when v.Equals("RequireApproval", StringComparison.OrdinalIgnoreCase):
                return PolicyVerdictKind.RequireApproval;
            case string v when v.Equals("Deny", StringComparison.OrdinalIgnoreCase):
                return PolicyVerdictKind.Deny;
            default:
                problems.Add($"{path}: '{value}' is not a verdict; use Allow, RequireApproval or Deny.");
                return PolicyVerdictKind.NotApplicable;
        }
    }

    private static TimeSpan? Span(string? value, string path, List<string> problems)
    {
        if (Text(value) is not { } text)
        {
            return null;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan span) && span > TimeSpan.Zero)
        {
            return span;
        }

        problems.Add($"{path}: '{value}' is not a positive time span such as '1.00:00:00' (one day) or '04:00:00'.");
        return null;
    }

    private static int? Count(string? value, string path, List<string> problems)
    {
        if (Text(value) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count >= 1)
        {
            return count;
        }

        problems.Add($"{path}: '{value}' is not a whole number of approvals of 1 or more.");
        return null;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
