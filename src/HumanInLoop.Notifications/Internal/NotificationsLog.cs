using Microsoft.Extensions.Logging;

namespace HumanInLoop.Notifications.Internal;

/// <summary>Log messages of the notification side: ids, channels and outcomes only; never arguments or tokens.</summary>
internal static partial class NotificationsLog
{
    [LoggerMessage(101, LogLevel.Debug, "Delivered {Kind} of approval {ApprovalId} to channel {Channel} (attempt {Attempt}).")]
    public static partial void Delivered(ILogger logger, string approvalId, string kind, string channel, int attempt);

    [LoggerMessage(102, LogLevel.Warning, "Delivery of {Kind} of approval {ApprovalId} to channel {Channel} failed (attempt {Attempt}); retrying in {Delay}.")]
    public static partial void DeliveryRetrying(ILogger logger, Exception exception, string approvalId, string kind, string channel, int attempt, TimeSpan delay);

    [LoggerMessage(103, LogLevel.Error, "Delivery of {Kind} of approval {ApprovalId} to channel {Channel} failed {Attempt} times; giving up until the next recovery sweep (the approval itself is unaffected).")]
    public static partial void DeliveryAbandoned(ILogger logger, Exception exception, string approvalId, string kind, string channel, int attempt);

    [LoggerMessage(104, LogLevel.Debug, "Approval {ApprovalId} is no longer pending ({Status}); its request to channel {Channel} is not sent.")]
    public static partial void RequestObsolete(ILogger logger, string approvalId, ApprovalStatus status, string channel);

    [LoggerMessage(105, LogLevel.Error, "The recovery sweep of pending approvals failed; it runs again later.")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(106, LogLevel.Information, "Recovery sweep queued {Count} pending approval(s) for delivery.")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(107, LogLevel.Warning, "Delivered {Kind} of approval {ApprovalId} to channel {Channel} but could not record it; it may be sent again.")]
    public static partial void RecordFailed(ILogger logger, Exception exception, string approvalId, string kind, string channel);

    [LoggerMessage(108, LogLevel.Information, "Expired {Count} approval(s) past their deadline.")]
    public static partial void Expired(ILogger logger, int count);

    [LoggerMessage(109, LogLevel.Debug, "Approval {ApprovalId} is due for escalation (deadline {ExpiresAt}); queued unless already escalated.")]
    public static partial void Escalating(ILogger logger, string approvalId, DateTimeOffset expiresAt);

    [LoggerMessage(110, LogLevel.Error, "The expiry sweep failed; it runs again in {Interval}.")]
    public static partial void ExpirySweepFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(111, LogLevel.Warning, "Approval link refused ({Reason}) for approval {ApprovalId}.")]
    public static partial void LinkRefused(ILogger logger, string reason, string? approvalId);

    [LoggerMessage(112, LogLevel.Information, "Call {CallId} of approval {ApprovalId} was {Decision} through {Via} by {Approver}.")]
    public static partial void DecidedVia(ILogger logger, string approvalId, string callId, string decision, string via, string approver);

    [LoggerMessage(113, LogLevel.Warning, "Slack interaction refused: {Reason}.")]
    public static partial void SlackRefused(ILogger logger, string reason);

    [LoggerMessage(114, LogLevel.Error, "Delivery of {Kind} of approval {ApprovalId} to channel {Channel} failed unexpectedly; it is retried by the next recovery sweep.")]
    public static partial void DeliveryCrashed(ILogger logger, Exception exception, string approvalId, string kind, string channel);

    [LoggerMessage(115, LogLevel.Debug, "{Kind} of approval {ApprovalId} to channel {Channel} is being sent by another host; not sent here.")]
    public static partial void ClaimedElsewhere(ILogger logger, string approvalId, string kind, string channel);

    [LoggerMessage(116, LogLevel.Warning, "Could not release the delivery claim of {Kind} of approval {ApprovalId} to channel {Channel}; another host takes it over when its lease ends.")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string approvalId, string kind, string channel);
}
