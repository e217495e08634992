namespace HumanInLoop;

/// <summary>The approver may not make this decision (not among the allowed approvers, approving their own request, or edited arguments a policy refuses), or a resume names another requester or tenant than the approval was held for.</summary>
public sealed class ApprovalForbiddenException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalForbiddenException"/> class.</summary>
    /// <param name="approvalId">The approval concerned.</param>
    /// <param name="callId">The call concerned.</param>
    /// <param name="message">Why the decision is refused.</param>
    public ApprovalForbiddenException(string approvalId, string? callId, string message)
        : base(approvalId, callId, message)
    {
    }
}
