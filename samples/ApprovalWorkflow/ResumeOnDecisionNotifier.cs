using HumanInLoop;

namespace ApprovalWorkflow;

/// <summary>
/// Queues a resume as soon as every call of an approval is decided, or it expired, so nobody has to call the resume
/// endpoint. Only queues (returns at once), as notifiers must.
/// </summary>
internal sealed class ResumeOnDecisionNotifier(WorkQueue queue) : IApprovalNotifier
{
    public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
    {
        if (notification.Kind is ApprovalNotificationKind.Expired ||
            (notification.Kind is ApprovalNotificationKind.Decided && notification.Approval.Status == ApprovalStatus.Decided))
        {
            queue.TryEnqueue(new ResumeApproval(notification.Approval.Id));
        }

        return ValueTask.CompletedTask;
    }
}
