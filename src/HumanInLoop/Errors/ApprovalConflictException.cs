namespace HumanInLoop;

/// <summary>
/// The approval (or call) is not in a state that allows the operation: already decided, claimed by another resume,
/// completed, cancelled, in doubt, or not yet fully decided. <see cref="Status"/> says where it is.
/// </summary>
public sealed class ApprovalConflictException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalConflictException"/> class.</summary>
    /// <param name="approvalId">The approval concerned.</param>
    /// <param name="status">The status the approval is in.</param>
    /// <param name="message">What conflicts and what to do.</param>
    /// <param name="callId">The call concerned, if any.</param>
    public ApprovalConflictException(string approvalId, ApprovalStatus status, string message, string? callId = null)
        : base(approvalId, callId, message)
    {
        Status = status;
    }

    /// <summary>Gets the status the approval was found in.</summary>
    public ApprovalStatus Status { get; }
}
