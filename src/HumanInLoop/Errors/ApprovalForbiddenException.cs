namespace HumanInLoop;

/// <summary>The approver may not make this decision (not among the allowed approvers, approving their own request, or edited arguments a policy refuses), or a resume names another requester or tenant than the approval was held for.</summary>
public sealed class ApprovalForbiddenException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalForbiddenException"/> class.</summary>
    /// <param name="approvalId">The approval concerned.</param>
    /// <param name="callId">The call concerned.</param>
    /// <param name="message">Why the decision is refused.</param>
    public ApprovalForbiddenException(string approvalId, string? callId, string message)
        : this(approvalId, callId, message, [])
    {
    }

    /// <summary>For edited arguments the policies deny: <paramref name="argumentNames"/> as found by the decision (see <see cref="ArgumentNames"/>).</summary>
    internal ApprovalForbiddenException(string approvalId, string? callId, string message, IReadOnlyList<string> argumentNames)
        : base(approvalId, callId, message)
    {
        ArgumentNames = argumentNames ?? throw new ArgumentNullException(nameof(argumentNames));
    }

    /// <summary>
    /// Gets the top-level arguments whose edit alone makes the policies deny the edited call: with any one of them set back to
    /// what the model proposed (the others as edited), the policies no longer deny it. Empty for any other refusal, and when no
    /// single edit is the cause (the denial needs several together, or holds whatever is set back). A form shows the refusal
    /// beside these fields.
    /// </summary>
    public IReadOnlyList<string> ArgumentNames { get; }
}
