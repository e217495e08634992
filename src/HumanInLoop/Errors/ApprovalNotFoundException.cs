namespace HumanInLoop;

/// <summary>The approval id is unknown, or the call id is not a call of that approval.</summary>
public sealed class ApprovalNotFoundException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalNotFoundException"/> class.</summary>
    /// <param name="approvalId">The id that was asked for.</param>
    /// <param name="callId">The call id that was asked for, when the approval exists but the call does not.</param>
    public ApprovalNotFoundException(string approvalId, string? callId = null)
        : base(approvalId, callId, callId is null
            ? $"No approval '{approvalId}' exists."
            : $"Approval '{approvalId}' has no call '{callId}'.")
    {
    }
}
