namespace HumanInLoop;

/// <summary>The base of the typed errors an approval operation refuses with. When one is thrown, nothing ran.</summary>
public abstract class ApprovalException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalException"/> class.</summary>
    /// <param name="approvalId">The approval concerned, if known.</param>
    /// <param name="callId">The call concerned, if any.</param>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected ApprovalException(string? approvalId, string? callId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ApprovalId = approvalId;
        CallId = callId;
    }

    /// <summary>Gets the approval concerned, if known.</summary>
    public string? ApprovalId { get; }

    /// <summary>Gets the call concerned, if any.</summary>
    public string? CallId { get; }
}
