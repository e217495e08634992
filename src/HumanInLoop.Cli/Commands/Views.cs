namespace HumanInLoop.Cli.Commands;

/// <summary>The shapes <c>--json</c> writes for approvals: stable, without the conversation (which <c>export</c> does not carry either).</summary>
internal static class Views
{
    public static object Approval(PendingApproval approval, bool withAudit) => new
    {
        id = approval.Id,
        status = approval.Status,
        origin = approval.Origin,
        createdAt = approval.CreatedAt,
        expiresAt = approval.ExpiresAt,
        updatedAt = approval.UpdatedAt,
        context = approval.Context,
        nextApprovalId = approval.NextApprovalId,
        calls = (withAudit ? approval.Calls : approval.AwaitingApproval).Select(Call),
        auditTrail = withAudit ? approval.AuditTrail.Select(Audit) : null,
    };

    public static object Call(PendingToolCall call) => new
    {
        callId = call.CallId,
        toolName = call.ToolName,
        arguments = call.Arguments,
        fingerprint = call.Fingerprint,
        decision = call.Decision,
        policyReason = call.PolicyReason,
        policies = call.Policies,
        policyVersions = call.PolicyVersions,
        shadowVerdict = call.ShadowVerdict,
        grantId = call.GrantId,
        approvers = call.Approvers,
        requiredApprovals = call.RequiredApprovals,
        signOffs = call.SignOffs,
        decidedBy = call.DecidedBy,
        decidedAt = call.DecidedAt,
        decisionReason = call.DecisionReason,
        approvedArguments = call.ApprovedArguments,
        execution = call.Execution,
        attempts = call.Attempts,
    };

    private static object Audit(ApprovalAuditEntry entry) => new
    {
        sequence = entry.Sequence,
        timestamp = entry.Timestamp,
        @event = entry.Event,
        actor = entry.Actor,
        callId = entry.CallId,
        toolName = entry.ToolName,
        reason = entry.Reason,
        policyVersions = entry.PolicyVersions,
        hash = entry.Hash,
    };
}
