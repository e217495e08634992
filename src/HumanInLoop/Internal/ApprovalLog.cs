using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>The engine's log messages (category <c>HumanInLoop.ApprovalService</c>). Ids and outcomes only; arguments only at Trace; message text never.</summary>
internal static partial class ApprovalLog
{
    [LoggerMessage(1, LogLevel.Information, "Held {CallCount} tool call(s) for approval {ApprovalId} (conversation {ConversationId}).")]
    public static partial void ApprovalHeld(ILogger logger, string approvalId, string? conversationId, int callCount);

    [LoggerMessage(2, LogLevel.Information, "Call {CallId} of approval {ApprovalId} was {Decision} by {Approver}.")]
    public static partial void CallDecided(ILogger logger, string approvalId, string callId, CallDecisionStatus decision, string approver);

    [LoggerMessage(3, LogLevel.Information, "Approval {ApprovalId} claimed by {Owner} (recovering: {Recovering}).")]
    public static partial void ApprovalClaimed(ILogger logger, string approvalId, string owner, bool recovering);

    [LoggerMessage(4, LogLevel.Warning, "Call {CallId} of approval {ApprovalId} was interrupted while running and is now in doubt.")]
    public static partial void CallInDoubt(ILogger logger, string approvalId, string callId);

    [LoggerMessage(5, LogLevel.Information, "Approval {ApprovalId} completed (next approval: {NextApprovalId}).")]
    public static partial void ApprovalCompleted(ILogger logger, string approvalId, string? nextApprovalId);

    [LoggerMessage(6, LogLevel.Information, "Approval {ApprovalId} expired without a decision.")]
    public static partial void ApprovalExpired(ILogger logger, string approvalId);

    [LoggerMessage(7, LogLevel.Trace, "Approval {ApprovalId} call {CallId} ({ToolName}) held as {Decision} with arguments {Arguments}.")]
    public static partial void CallHeldWithArguments(ILogger logger, string approvalId, string callId, string toolName, CallDecisionStatus decision, string arguments);

    [LoggerMessage(9, LogLevel.Warning, "Notifier {Notifier} failed for approval {ApprovalId} ({Kind}); the approval is unaffected.")]
    public static partial void NotifierFailed(ILogger logger, Exception exception, string approvalId, ApprovalNotificationKind kind, string notifier);

    [LoggerMessage(8, LogLevel.Information, "Resume of approval {ApprovalId} ended: {Outcome}.")]
    public static partial void ResumeEnded(ILogger logger, string approvalId, string outcome);

    [LoggerMessage(10, LogLevel.Debug, "Claim on approval {ApprovalId} renewed until {ClaimExpiresAt} while the resume works.")]
    public static partial void ClaimRenewed(ILogger logger, string approvalId, DateTimeOffset claimExpiresAt);

    [LoggerMessage(11, LogLevel.Warning, "Renewing the claim on approval {ApprovalId} failed; it may lapse while the resume works.")]
    public static partial void ClaimRenewalFailed(ILogger logger, Exception exception, string approvalId);

    [LoggerMessage(12, LogLevel.Error, "Approval {ApprovalId} could not be read and was skipped (in a list or an expiry sweep); it stays in the store as it is.")]
    public static partial void UnreadableApproval(ILogger logger, Exception exception, string approvalId);

    [LoggerMessage(13, LogLevel.Warning, "Writing {Count} call record(s) failed (attempt {Attempt}); they stay queued and are tried again.")]
    public static partial void CallRecordsNotWritten(ILogger logger, int count, int attempt, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "The host stopped before every queued call record was written; the records still queued are lost.")]
    public static partial void CallRecordsNotFlushed(ILogger logger, Exception exception);

    [LoggerMessage(15, LogLevel.Information, "Escalated {CallCount} undecided call(s) of approval {ApprovalId} to their escalation group.")]
    public static partial void ApprovalEscalated(ILogger logger, string approvalId, int callCount);

    [LoggerMessage(16, LogLevel.Warning,
        "Security: refused an approval response ({Refusal}) for call {CallId} of tool {ToolName} (approval {ApprovalId}, request {RequestId}); nothing ran and nothing was decided.")]
    public static partial void ApprovalResponseRefused(
        ILogger logger, UnmatchedApprovalResponseKind refusal, string? callId, string? toolName, string? approvalId, string? requestId);

    [LoggerMessage(17, LogLevel.Warning, "Call {CallId} of approval {ApprovalId} was held, not run: its batch is all or nothing and another call is in doubt.")]
    public static partial void CallHeld(ILogger logger, string approvalId, string callId);
}
