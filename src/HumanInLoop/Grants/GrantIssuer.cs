namespace HumanInLoop.Internal;

/// <summary>Makes the standing grant an approver asked for with an approval (<see cref="ApprovalDecision.Grant"/>).</summary>
/// <remarks>
/// <see cref="Prepare"/> checks everything and records the grant in the approval's audit trail before the decision is saved;
/// <see cref="StoreAsync"/> stores it after. A crash between leaves a trail that names a grant the store never kept: it allows
/// nothing, the safe side.
/// </remarks>
internal sealed class GrantIssuer(IStateStore store, ISet<string> granters, ApprovalRecords records, ApprovalClock clock)
{
    public ApprovalGrant Prepare(PendingApproval approval, PendingToolCall call, ApprovalDecision decision)
    {
        GrantTerms terms = decision.Grant!;
        if (store is not IGrantStore)
        {
            throw new NotSupportedException($"The store ({store.GetType().Name}) keeps no standing grants (IGrantStore); approve without a grant.");
        }

        if (!decision.Approver.IsAnyOf([.. granters]) || granters.Count == 0)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"'{decision.Approver.Id}' may not make standing grants (ApprovalOptions.Granters); approve without a grant.");
        }

        if (call.RequiredApprovals > 1)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"Call '{call.CallId}' needs {call.RequiredApprovals} approvers; one person's grant cannot stand in for them.");
        }

        string? scopeId = terms.Scope switch
        {
            GrantScope.User => approval.Context.UserId,
            GrantScope.Conversation => approval.Context.ConversationId,
            _ => approval.Context.TenantId,
        };
        if (scopeId is null)
        {
            throw new ArgumentException($"The call has no {terms.Scope.ToString().ToLowerInvariant()} id to scope a grant to.", nameof(decision));
        }

        DateTimeOffset now = clock.Now();
        ApprovalGrant grant = new()
        {
            Id = ApprovalIds.New("grt_"),
            ToolName = call.ToolName,
            Scope = terms.Scope,
            ScopeId = terms.Scope == GrantScope.Tenant ? null : scopeId,
            TenantId = approval.Context.TenantId,
            ArgumentBounds = terms.ArgumentBounds,
            GrantedBy = decision.Approver.Id,
            GrantedByRoles = decision.Approver.Roles,
            CreatedAt = now,
            ExpiresAt = now + terms.Duration,
            ApprovalId = approval.Id,
            CallId = call.CallId,
            Version = 1,
        };
        string bounds = grant.ArgumentBounds.Count == 0 ? "any arguments" : string.Join(", ", grant.ArgumentBounds);
        records.Audit(approval, ApprovalAuditEvent.GrantIssued, decision.Approver.Id, call, reason:
            $"Standing grant {grant.Id}: {grant.ToolName} for {terms.Scope.ToString().ToLowerInvariant()} {scopeId}, {bounds}, until {grant.ExpiresAt:O}.");
        return grant;
    }

    public async Task StoreAsync(ApprovalGrant grant, CancellationToken cancellationToken)
    {
        if (!await ((IGrantStore)store).TryCreateGrantAsync(GrantFormat.ToEntry(grant), cancellationToken))
        {
            throw new InvalidOperationException($"A grant with the new id '{grant.Id}' already exists.");
        }
    }
}
