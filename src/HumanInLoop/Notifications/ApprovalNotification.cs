namespace HumanInLoop;

/// <summary>One change of an approval, as told to an <see cref="IApprovalNotifier"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Approval">A snapshot of the approval after the change.</param>
/// <param name="CallId">The call concerned, for <see cref="ApprovalNotificationKind.Decided"/>; the first call escalated, for <see cref="ApprovalNotificationKind.Escalated"/>.</param>
public sealed record ApprovalNotification(ApprovalNotificationKind Kind, PendingApproval Approval, string? CallId = null);
