using Microsoft.Extensions.Logging;

namespace HumanInLoop.AspNetCore.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Error, "A chat stream failed; the client was sent an error event without the details.")]
    public static partial void StreamFailed(ILogger logger, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Call {CallId} of approval {ApprovalId} decided over HTTP by {ApproverId}: {Decision}.")]
    public static partial void Decided(ILogger logger, string approvalId, string callId, string approverId, string decision);

    [LoggerMessage(3, LogLevel.Warning, "Decision refused for approval {ApprovalId}: {Reason}")]
    public static partial void Refused(ILogger logger, string approvalId, string reason);

    [LoggerMessage(4, LogLevel.Information, "Standing grant {GrantId} revoked over HTTP by {RevokerId}.")]
    public static partial void GrantRevoked(ILogger logger, string grantId, string revokerId);

    [LoggerMessage(5, LogLevel.Warning, "Revoke refused for standing grant {GrantId}: {Reason}")]
    public static partial void GrantRevokeRefused(ILogger logger, string grantId, string reason);

    [LoggerMessage(6, LogLevel.Warning, "The approval console could not read the store for changes made by other servers; it reads again in {Interval}.")]
    public static partial void ConsolePollFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(7, LogLevel.Warning, "The approval console could not read approval {ApprovalId}, which changed on another server; its page is not told.")]
    public static partial void ConsolePollUnreadable(ILogger logger, Exception exception, string approvalId);
}
