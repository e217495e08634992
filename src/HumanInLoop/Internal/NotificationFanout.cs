using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>Tells every <see cref="IApprovalNotifier"/> of a change, after it was saved; a notifier that fails never affects the approval.</summary>
internal sealed class NotificationFanout(IEnumerable<IApprovalNotifier> notifiers, ILogger logger)
{
    private readonly IApprovalNotifier[] _notifiers = [.. notifiers];

    public async Task NotifyAsync(ApprovalNotificationKind kind, PendingApproval approval, string? callId = null)
    {
        foreach (IApprovalNotifier notifier in _notifiers)
        {
            try
            {
                await notifier.NotifyAsync(new ApprovalNotification(kind, approval, callId), CancellationToken.None);
            }
            catch (Exception exception)
            {
                ApprovalLog.NotifierFailed(logger, exception, approval.Id, kind, notifier.GetType().Name);
            }
        }
    }
}
