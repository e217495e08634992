using System.Text.Json;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a call is judged: every configured <see cref="IApprovalPolicy"/> is asked about it, and their verdicts are combined
/// (Deny over RequireApproval over Allow; a call no policy speaks for gets <see cref="ApprovalOptions.UnmatchedToolVerdict"/>).
/// The approval gate, plans and edited arguments all go through here.
/// </summary>
/// <remarks>Thread-safe when the policies are.</remarks>
internal sealed class PolicyEvaluator(IEnumerable<IApprovalPolicy> policies, PolicyVerdict unmatched)
{
    /// <summary>Stands for "nobody" in a merged approver list whose policies name no approver in common.</summary>
    public const string NoCommonApprover = "\u0000no-common-approver";

    /// <summary>How deep a held call's arguments may nest: the stored approval wraps them in a few levels of its own, within its limit of 64.</summary>
    public const int MaxArgumentDepth = 32;

    private readonly IApprovalPolicy[] _policies = [.. policies];

    /// <summary>Evaluates every policy for one call and combines the outcomes.</summary>
    public async ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext call, CancellationToken cancellationToken)
    {
        PolicyVerdict? deny = null;
        PolicyVerdict? require = null;
        bool allowed = false;
        foreach (IApprovalPolicy policy in _policies)
        {
            PolicyVerdict verdict = await policy.EvaluateAsync(call, cancellationToken);
            switch (verdict.Kind)
            {
                case PolicyVerdictKind.Deny:
                    deny = deny is null ? verdict : PolicyVerdict.Deny($"{deny.Reason} {verdict.Reason}");
                    break;
                case PolicyVerdictKind.RequireApproval:
                    require = require is null ? verdict : Merge(require, verdict);
                    break;
                case PolicyVerdictKind.Allow:
                    allowed = true;
                    break;
            }
        }

        return deny ?? require ?? (allowed ? PolicyVerdict.Allow : unmatched);
    }

    /// <summary>
    /// Judges every call of one model response. When any needs a person, a call whose arguments cannot be stored for review
    /// is denied instead (the model is told), so the rest of the batch can still be held.
    /// </summary>
    /// <returns>The verdicts in the calls' order; <c>Hold</c> when any needs a person, <c>Deny</c> when any is denied.</returns>
    public async ValueTask<(PolicyVerdict[] Verdicts, bool Hold, bool Deny)> JudgeBatchAsync(
        IReadOnlyList<PolicyEvaluationContext> calls, CancellationToken cancellationToken)
    {
        var verdicts = new PolicyVerdict[calls.Count];
        bool hold = false;
        bool deny = false;
        for (int i = 0; i < calls.Count; i++)
        {
            verdicts[i] = await EvaluateAsync(calls[i], cancellationToken);
            hold |= verdicts[i].Kind == PolicyVerdictKind.RequireApproval;
            deny |= verdicts[i].Kind == PolicyVerdictKind.Deny;
        }

        if (!hold)
        {
            return (verdicts, false, deny);
        }

        hold = false;
        for (int i = 0; i < calls.Count; i++)
        {
            if (verdicts[i].Kind != PolicyVerdictKind.Deny && !CanHold(calls[i], out string reason))
            {
                verdicts[i] = PolicyVerdict.Deny(reason);
                deny = true;
            }

            hold |= verdicts[i].Kind == PolicyVerdictKind.RequireApproval;
        }

        return (verdicts, hold, deny);
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

    /// <summary>Several approval requirements: every reason is shown, the earliest deadline holds, the most approvals asked for are needed, and only approvers named by every policy that names any may decide.</summary>
    private static PolicyVerdict Merge(PolicyVerdict first, PolicyVerdict second)
    {
        IEnumerable<string>? approvers = (first.Approvers.Count, second.Approvers.Count) switch
        {
            (0, 0) => null,
            (_, 0) => first.Approvers,
            (0, _) => second.Approvers,
            _ => first.Approvers.Intersect(second.Approvers, StringComparer.Ordinal).DefaultIfEmpty(NoCommonApprover),
        };
        TimeSpan? expires = (first.ExpiresAfter, second.ExpiresAfter) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            (var a, var b) => a ?? b,
        };
        return PolicyVerdict.RequireApproval($"{first.Reason} {second.Reason}", approvers, expires, Math.Max(first.RequiredApprovals, second.RequiredApprovals));
    }
}
