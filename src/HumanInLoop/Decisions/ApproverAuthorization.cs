namespace HumanInLoop.Internal;

/// <summary>Who may decide a call: one of the approvers its policies name (by id or role), never its requester when self-approval is prevented.</summary>
internal sealed class ApproverAuthorization(bool preventSelfApproval)
{
    /// <summary>Throws unless <paramref name="approver"/> may decide <paramref name="call"/> under the approver list <paramref name="allowed"/>.</summary>
    /// <exception cref="ApprovalForbiddenException">They may not.</exception>
    public void Authorize(PendingApproval approval, PendingToolCall call, Approver approver, IReadOnlyList<string> allowed)
    {
        if (preventSelfApproval && approval.Context.UserId is { } requester && string.Equals(requester, approver.Id, StringComparison.Ordinal))
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId, $"'{approver.Id}' started this conversation and may not approve its own request.");
        }

        if (allowed.Contains(PolicyEvaluator.NoCommonApprover, StringComparer.Ordinal))
        {
            // Contradictory approver lists: nobody may decide, whatever id or role someone presents.
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"Nobody may decide call '{call.CallId}' ({call.ToolName}): its policies name no common approver. It can only be cancelled or expire.");
        }

        if (!approver.IsAnyOf(allowed))
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"'{approver.Id}' may not decide call '{call.CallId}' ({call.ToolName}); allowed: {string.Join(", ", allowed.Where(a => a != PolicyEvaluator.NoCommonApprover).DefaultIfEmpty("nobody (the policies name no common approver)"))}.");
        }
    }
}
