namespace HumanInLoop.Notifications;

/// <summary>One message for an <see cref="IApprovalChannel"/> to send.</summary>
/// <param name="Kind">
/// What happened: <see cref="ApprovalNotificationKind.Pending"/> and <see cref="ApprovalNotificationKind.Escalated"/> ask for a
/// decision (with actions); the other kinds announce.
/// </param>
/// <param name="Approval">The approval: for requests and escalations a snapshot read just before sending, so it is still pending.</param>
/// <param name="CallId">The call concerned, for <see cref="ApprovalNotificationKind.Decided"/>; the first call escalated, for <see cref="ApprovalNotificationKind.Escalated"/>.</param>
/// <param name="IsEscalation">
/// <see langword="true"/> when the approval is close to its deadline undecided and is being put to the escalation channels
/// (<see cref="ApprovalNotificationOptions.EscalationChannels"/>).
/// </param>
/// <param name="Attempt">1 for the first attempt, more for retries.</param>
public sealed record ApprovalDelivery(ApprovalNotificationKind Kind, PendingApproval Approval, string? CallId, bool IsEscalation, int Attempt)
{
    /// <summary>Gets the calls a person should decide on: those still awaiting approval.</summary>
    public IReadOnlyList<PendingToolCall> CallsToDecide { get; } = [.. Approval.AwaitingApproval];
}
