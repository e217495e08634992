namespace HumanInLoop;

/// <summary>
/// What was asked does not match what was stored or approved: a forged or mismatched approval response, a stale
/// fingerprint, arguments changed after the decision, or an audit trail that was altered. Nothing ran.
/// </summary>
/// <remarks>An approval response that answers no waiting call is the derived <see cref="UnmatchedApprovalResponseException"/>.</remarks>
public class ApprovalIntegrityException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalIntegrityException"/> class.</summary>
    /// <param name="approvalId">The approval concerned.</param>
    /// <param name="callId">The call concerned, if any.</param>
    /// <param name="message">What does not match.</param>
    public ApprovalIntegrityException(string approvalId, string? callId, string message)
        : base(approvalId, callId, message)
    {
    }

    private protected ApprovalIntegrityException(string? approvalId, string? callId, string message, Exception? innerException)
        : base(approvalId, callId, message, innerException)
    {
    }
}
