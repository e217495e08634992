namespace HumanInLoop;

/// <summary>A stored approval could not be read: malformed, truncated, an unknown format version, or missing required parts.</summary>
public sealed class ApprovalStateFormatException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalStateFormatException"/> class.</summary>
    /// <param name="message">What is wrong with the data.</param>
    /// <param name="approvalId">The approval concerned, if known.</param>
    /// <param name="innerException">The parser's error, if any.</param>
    public ApprovalStateFormatException(string message, string? approvalId = null, Exception? innerException = null)
        : base(approvalId, null, message, innerException)
    {
    }
}
