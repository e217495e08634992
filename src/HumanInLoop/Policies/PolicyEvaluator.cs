using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a call is judged: every configured <see cref="IApprovalPolicy"/> is asked about it, and their verdicts are combined
/// (Deny over RequireApproval over Allow; a call no policy speaks for gets <see cref="ApprovalOptions.UnmatchedToolVerdict"/>).
/// The approval gate, plans and edited arguments all go through here.
/// </summary>
/// <remarks>Thread-safe when the policies are.</remarks>
/// <param name="policies">The policies to ask, in order.</param>
/// <param name="unmatched">The verdict when none applies.</param>
/// <param name="version">The host's label for its code policies (<see cref="ApprovalOptions.PolicyVersion"/>), recorded first among the versions; or <see langword="null"/>.</param>
internal sealed class PolicyEvaluator(IEnumerable<IApprovalPolicy> policies, PolicyVerdict unmatched, string? version = null)
{
    /// <summary>Stands for "nobody" in a merged approver list whose policies name no approver in common.</summary>
    public const string NoCommonApprover = "\u0000no-common-approver";

    /// <summary>How deep a held call's arguments may nest: the stored approval wraps them in a few levels of its own, within its limit of 64.</summary>
    public const int MaxArgumentDepth = 32;

    /// <summary>The name recorded when no policy applied and the unmatched-tool verdict decided.</summary>
    public const string Unmatched = "unmatched";

    private static readonly string[] s_unmatched = [Unmatched];

    private readonly IApprovalPolicy[] _policies = [.. policies];

    // Shared by every call that no policy names a version for (read only: the recorders copy it).
    private readonly string[] _hostVersion = version is null ? [] : [version];

    // Per policy, the names recorded when it alone allowed a call (AllowedBy); made on first use (a race makes it twice, harmlessly).
    private string[]?[]? _allowedBy;

    /// <summary>Gets whether there are no policies at all (every call gets the unmatched-tool verdict).</summary>
    public bool IsEmpty => _policies.Length == 0;

    /// <summary>Evaluates every policy on one call: Deny over RequireApproval over Allow; the unmatched-tool verdict when none applies.</summary>
    public async ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext call, CancellationToken cancellationToken) =>
        (await JudgeAsync(call, cancellationToken)).Verdict;

    /// <summary>
    /// Evaluates every policy on one call, as <see cref="EvaluateAsync"/>, and names the policies that decided it (<c>policy/rule</c>
    /// when the verdict names its rule) and the versions of the rules in force: the host's label, then every version a verdict named,
    /// <see cref="PolicyVerdictKind.NotApplicable"/> ones included, each once, in the order the policies were asked.
    /// </summary>
    public async ValueTask<(PolicyVerdict Verdict, string[] Policies, string[] Versions)> JudgeAsync(PolicyEvaluationContext call, CancellationToken cancellationToken)
    {
        List<string>? versions = null;
        PolicyVerdict? deny = null;
        PolicyVerdict? require = null;
        List<string>? denying = null;
        List<string>? requiring = null;
        List<string>? allowing = null;
        string? allowedBy = null; // the first policy that allowed: most calls are allowed by one, which needs no list
        int allowedAt = -1;
        bool allOrNothing = false;
        for (int p = 0; p < _policies.Length; p++)
        {
            IApprovalPolicy policy = _policies[p];
            PolicyVerdict verdict = await policy.EvaluateAsync(call, cancellationToken);
            allOrNothing |= verdict.AllOrNothingBatch && verdict.Kind != PolicyVerdictKind.NotApplicable;
            if (verdict.Version is { } named && named != version && !(versions ??= []).Contains(named, StringComparer.Ordinal))
            {
                versions.Add(named);
            }

            switch (verdict.Kind)
            {
                case PolicyVerdictKind.Deny:
                    deny = deny is null ? verdict : PolicyVerdict.Deny($"{deny.Reason} {verdict.Reason}");
                    (denying ??= []).Add(NameOf(policy, verdict));
                    break;
                case PolicyVerdictKind.RequireApproval:
                    require = require is null ? verdict : Merge(require, verdict);
                    (requiring ??= []).Add(NameOf(policy, verdict));
                    break;
                case PolicyVerdictKind.Allow when allowedBy is null:
                    allowedBy = NameOf(policy, verdict);
                    allowedAt = p;
                    break;
                case PolicyVerdictKind.Allow:
                    (allowing ??= [allowedBy]).Add(NameOf(policy, verdict));
                    break;
            }
        }

        (PolicyVerdict Verdict, string[] Policies) judged = deny is not null ? (deny, [.. denying!])
            : require is not null ? (require, [.. requiring!])
            : allowing is not null ? (PolicyVerdict.Allow, [.. allowing])
            : allowedBy is null ? (unmatched, s_unmatched) : (PolicyVerdict.Allow, AllowedBy(allowedAt, allowedBy));

        // A policy that marks the batch all or nothing marks it whichever verdict wins (combining verdicts would lose the mark).
        return (allOrNothing && !judged.Verdict.AllOrNothingBatch ? judged.Verdict.InAllOrNothingBatch() : judged.Verdict, judged.Policies,
            versions is null ? _hostVersion : [.. _hostVersion, .. versions]);

        static string NameOf(IApprovalPolicy policy, PolicyVerdict verdict) => verdict.Rule is { } rule ? $"{policy.Name}/{rule}" : policy.Name;
    }

    /// <summary>The names of the policies that decided a call one policy alone allowed: one array per policy and name, shared (read only) by its calls.</summary>
    private string[] AllowedBy(int policy, string name)
    {
        string[]?[] cache = _allowedBy ??= new string[]?[_policies.Length];
        string[]? names = cache[policy];
        if (names is null || !string.Equals(names[0], name, StringComparison.Ordinal))
        {
            names = [name];
            cache[policy] = names; // a race only makes one more array
        }

        return names;
    }

    /// <summary>
    /// Whether a call's arguments can be stored in an approval; a call whose arguments cannot (nested deeper than
    /// <see cref="MaxArgumentDepth"/>, or not serializable) is denied rather than failing the whole hold.
    /// </summary>
    public static bool CanHold(PolicyEvaluationContext call, out string reason)
    {
        try
        {
            if (Depth(call.Arguments) <= MaxArgumentDepth)
            {
                reason = "";
                return true;
            }
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or ArgumentException)
        {
            reason = $"The arguments cannot be stored for a person to review: {exception.Message}";
            return false;
        }

        reason = $"The arguments nest deeper than {MaxArgumentDepth} levels, more than an approval can store for a person to review.";
        return false;

        static int Depth(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
            JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
            _ => 0,
        };
    }

    /// <summary>
    /// Several approval requirements: every reason is shown, the earliest deadline holds, the most approvals asked for are needed,
    /// only approvers named by every policy that names any may decide, and so it stays after an escalation (<see cref="MergeEscalation"/>).
    /// </summary>
    private static PolicyVerdict Merge(PolicyVerdict first, PolicyVerdict second)
    {
        IReadOnlyList<string> approvers = (first.Approvers.Count, second.Approvers.Count) switch
        {
            (0, 0) => [],
            (_, 0) => first.Approvers,
            (0, _) => second.Approvers,
            _ => [.. first.Approvers.Intersect(second.Approvers, StringComparer.Ordinal).DefaultIfEmpty(NoCommonApprover)],
        };
        TimeSpan? expires = (first.ExpiresAfter, second.ExpiresAfter) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            (var a, var b) => a ?? b,
        };
        return PolicyVerdict.Combined(
            $"{first.Reason} {second.Reason}", approvers, expires, Math.Max(first.RequiredApprovals, second.RequiredApprovals),
            MergeEscalation(first, second, approvers, expires));
    }

    /// <summary>
    /// The escalation of two combined requirements: the earliest one, to the people each policy would let decide once escalated
    /// (its approvers and its own escalation group; anyone, for a policy that names nobody). None when that adds nobody to the
    /// combined approvers, or when it would come at or after the combined deadline.
    /// </summary>
    private static ApprovalEscalation? MergeEscalation(PolicyVerdict first, PolicyVerdict second, IReadOnlyList<string> approvers, TimeSpan? expires)
    {
        if (first.Escalation is null && second.Escalation is null)
        {
            return null;
        }

        TimeSpan after = (first.Escalation?.After, second.Escalation?.After) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            (var a, var b) => (a ?? b)!.Value,
        };
        IEnumerable<string>? allowedFirst = AfterEscalation(first);
        IEnumerable<string>? allowedSecond = AfterEscalation(second);
        IEnumerable<string> group = allowedFirst is null ? allowedSecond! : allowedSecond is null ? allowedFirst : allowedFirst.Intersect(allowedSecond, StringComparer.Ordinal);
        string[] added = [.. group.Where(a => a != NoCommonApprover && !approvers.Contains(a, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal)];
        return added.Length == 0 || (expires is { } deadline && after >= deadline) ? null : ApprovalEscalation.Combined(after, added);

        static IEnumerable<string>? AfterEscalation(PolicyVerdict verdict) =>
            verdict.Approvers.Count == 0 ? null : verdict.Approvers.Concat(verdict.Escalation?.Approvers ?? []);
    }
}
