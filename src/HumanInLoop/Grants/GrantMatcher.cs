namespace HumanInLoop.Internal;

/// <summary>Finds the standing grant in force, if any, that lets a call skip the person its policies asked for.</summary>
/// <remarks>
/// Reads the store every time (no cache), so a call checked after a revoke commits is never allowed by the revoked grant.
/// Only calls that would be held pay the read.
/// </remarks>
internal sealed class GrantMatcher(IGrantStore store, ApprovalClock clock, bool preventSelfApproval)
{
    public async ValueTask<ApprovalGrant?> FindAsync(PolicyEvaluationContext call, PolicyVerdict verdict, CancellationToken cancellationToken)
    {
        // One person's grant never stands in for several approvers, nor for approvers nobody can be.
        if (verdict.RequiredApprovals > 1 || verdict.Approvers.Contains(PolicyEvaluator.NoCommonApprover, StringComparer.Ordinal))
        {
            return null;
        }

        DateTimeOffset now = clock.Now();
        GrantQuery query = new() { ToolName = call.ToolName, TenantId = call.Context.TenantId, ActiveAt = now };
        do
        {
            GrantPage page = await store.ListGrantsAsync(query, cancellationToken);
            foreach (GrantEntry entry in page.Entries)
            {
                ApprovalGrant grant = GrantFormat.Read(entry);
                if (grant.IsInForceAt(now) && grant.Covers(call.ToolName, call.Arguments, call.Context) && MayStandIn(grant, call, verdict))
                {
                    return grant;
                }
            }

            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);

        return null;
    }

    private bool MayStandIn(ApprovalGrant grant, PolicyEvaluationContext call, PolicyVerdict verdict)
    {
        if (preventSelfApproval && string.Equals(call.Context.UserId, grant.GrantedBy, StringComparison.Ordinal))
        {
            return false;
        }

        return new Approver(grant.GrantedBy, grant.GrantedByRoles).IsAnyOf(verdict.Approvers);
    }
}
