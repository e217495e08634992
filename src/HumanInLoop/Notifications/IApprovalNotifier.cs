namespace HumanInLoop;

/// <summary>
/// Told after an approval changed in the store: it needs a person, a call was decided, it expired, was cancelled,
/// completed or went into doubt. Use it to send chat messages, e-mails or webhooks, or to signal a waiting page.
/// </summary>
/// <remarks>
/// Called after the change is saved, so a notification never precedes the state it announces. A notifier that throws
/// is logged and ignored: notifications never fail, undo or lose an approval. Implementations must return quickly
/// (queue the work and deliver it in the background, with retries) and be thread-safe. Because a process can stop
/// between the save and the delivery, a notifier that must not miss anything should also re-read pending approvals
/// with <see cref="ApprovalService.ListAsync"/> when it starts.
/// </remarks>
public interface IApprovalNotifier
{
    /// <summary>Receives one change.</summary>
    /// <param name="notification">What changed, with a snapshot of the approval after the change.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the notification is queued or delivered.</returns>
    ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken);
}
