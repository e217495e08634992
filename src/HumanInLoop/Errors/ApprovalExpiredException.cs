namespace HumanInLoop;

/// <summary>The approval's deadline passed before every call was decided; it is recorded as expired and nothing ran.</summary>
public sealed class ApprovalExpiredException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalExpiredException"/> class.</summary>
    /// <param name="approvalId">The approval concerned.</param>
    /// <param name="expiresAt">The deadline that passed.</param>
    public ApprovalExpiredException(string approvalId, DateTimeOffset expiresAt)
        : base(approvalId, null, $"Approval '{approvalId}' expired at {expiresAt:O}; nothing ran.")
    {
        ExpiresAt = expiresAt;
    }

    /// <summary>Gets the deadline that passed.</summary>
    public DateTimeOffset ExpiresAt { get; }
}
