namespace HumanInLoop.Notifications;

/// <summary>
/// A place people are told about approvals: a chat webhook, e-mail, a pager. The delivery service calls it in the
/// background, with retries; it never runs on the path that pauses, decides or resumes an approval.
/// </summary>
/// <remarks>
/// Implementations must be thread-safe and throw when a delivery did not happen (any exception counts as a failure and
/// is retried with backoff). A delivery may be repeated after a crash between sending and recording it, so a message
/// must be harmless to receive twice.
/// </remarks>
public interface IApprovalChannel
{
    /// <summary>Gets the channel's name, unique among the registered channels; it keys the delivery records.</summary>
    string Name { get; }

    /// <summary>Sends one message.</summary>
    /// <param name="delivery">What to announce, with a fresh snapshot of the approval.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the message was accepted by the receiving system.</returns>
    Task DeliverAsync(ApprovalDelivery delivery, CancellationToken cancellationToken);
}
