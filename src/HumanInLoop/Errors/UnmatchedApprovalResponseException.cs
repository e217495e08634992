namespace HumanInLoop;

/// <summary>
/// A security event: an approval response (Microsoft.Extensions.AI's <c>ToolApprovalResponseContent</c>) that answers no call
/// waiting for a person: forged or altered, naming a call that never waited, or found in the messages sent to the chat
/// pipeline. Nothing ran and nothing was decided. HumanInLoop logs it at Warning level and counts it
/// (<c>humaninloop.approval_responses.refused</c>) before it reaches the host.
/// </summary>
/// <remarks>
/// From the chat pipeline (<see cref="UnmatchedApprovalResponseKind.InChatInput"/>) it is thrown by the approval gate before the
/// model is asked again, streaming or not, so the request fails instead of the model being told "Error: Function failed.". A UI
/// built on Microsoft's approval types decides through <see cref="ApprovalService.ApplyApprovalResponseAsync(Microsoft.Extensions.AI.ToolApprovalResponseContent, Approver, CancellationToken)"/>
/// and resumes with <see cref="ApprovalService.ResumeAsync"/>; it never sends responses into the conversation.
/// </remarks>
public sealed class UnmatchedApprovalResponseException : ApprovalIntegrityException
{
    internal UnmatchedApprovalResponseException(
        UnmatchedApprovalResponseKind kind, string? approvalId, string? callId, string? requestId, string? toolName, string message, Exception? innerException = null)
        : base(approvalId, callId, message, innerException)
    {
        Kind = kind;
        RequestId = requestId;
        ToolName = toolName;
    }

    /// <summary>Gets why the response was refused.</summary>
    public UnmatchedApprovalResponseKind Kind { get; }

    /// <summary>Gets the response's request id, if known (not for <see cref="UnmatchedApprovalResponseKind.InChatInput"/>, where function invocation has taken the response apart).</summary>
    public string? RequestId { get; }

    /// <summary>Gets the tool the response named, if any.</summary>
    public string? ToolName { get; }

    private int _reported;
    private int _surfaced;

    /// <summary>True the first time only: the event is logged and counted once, however often the exception is met.</summary>
    internal bool TryMarkReported() => Interlocked.Exchange(ref _reported, 1) == 0;

    /// <summary>True the first time only: the gate throws it once, not again for a history that still holds its tool result.</summary>
    internal bool TryMarkSurfaced() => Interlocked.Exchange(ref _surfaced, 1) == 0;
}
