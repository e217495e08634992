namespace HumanInLoop;

/// <summary>
/// Thrown by the approval gate (and by <see cref="ApprovalService.RunPlanAsync"/>) when the model proposes a call a person already
/// rejected in this conversation for the <see cref="ApprovalOptions.RejectedRepeatLimit"/>-th time: the retry-loop guard stops the
/// conversation instead of answering it again. Nothing of the model's response ran and nothing was held; the repeat is recorded on
/// the approval that holds the rejection (<see cref="ApprovalAuditEvent.RepeatLimitReached"/>) and in the call records.
/// </summary>
/// <remarks>
/// Like <see cref="PendingApprovalException"/>, this is an outcome, not a failure of the library: catch it, tell the user the
/// assistant kept asking for something a person refused, and continue the conversation with a new user message if at all. It
/// passes out through function invocation untouched; a resume whose model answer ends in it completes its approval and rethrows it.
/// </remarks>
public sealed class RejectedCallRepeatedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RejectedCallRepeatedException"/> class.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="toolName">The tool of the repeated call.</param>
    /// <param name="callId">The model's id of the repeat that stopped the conversation.</param>
    /// <param name="rejectedApprovalId">The approval that holds the earlier rejection.</param>
    /// <param name="rejectedCallId">The rejected call in that approval.</param>
    /// <param name="rejectedBy">Who rejected it.</param>
    /// <param name="reason">The rejection's reason.</param>
    /// <param name="repeats">How many times the rejected call was proposed again, this one included.</param>
    public RejectedCallRepeatedException(
        string conversationId, string toolName, string callId, string rejectedApprovalId, string rejectedCallId, string? rejectedBy, string? reason, int repeats)
        : base($"The model proposed '{toolName}' again (repeat {repeats}) after '{rejectedBy}' rejected it in conversation '{conversationId}' " +
            $"(approval '{rejectedApprovalId}', call '{rejectedCallId}': {reason}). The conversation was stopped; nothing ran.")
    {
        ConversationId = conversationId;
        ToolName = toolName;
        CallId = callId;
        RejectedApprovalId = rejectedApprovalId;
        RejectedCallId = rejectedCallId;
        RejectedBy = rejectedBy;
        Reason = reason;
        Repeats = repeats;
    }

    /// <summary>Gets the conversation that was stopped.</summary>
    public string ConversationId { get; }

    /// <summary>Gets the tool of the repeated call.</summary>
    public string ToolName { get; }

    /// <summary>Gets the model's id of the repeat that stopped the conversation.</summary>
    public string CallId { get; }

    /// <summary>Gets the approval that holds the earlier rejection.</summary>
    public string RejectedApprovalId { get; }

    /// <summary>Gets the rejected call in <see cref="RejectedApprovalId"/>.</summary>
    public string RejectedCallId { get; }

    /// <summary>Gets who rejected the call.</summary>
    public string? RejectedBy { get; }

    /// <summary>Gets the rejection's reason.</summary>
    public string? Reason { get; }

    /// <summary>Gets how many times the rejected call was proposed again, this one included.</summary>
    public int Repeats { get; }
}
