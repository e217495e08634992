using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where an escalation happens: a call nobody decided by its <see cref="PendingToolCall.EscalatesAt"/> is put to its escalation
/// group, who may then decide besides the first group, recorded (<see cref="ApprovalAuditEvent.Escalated"/>) and announced
/// (<see cref="ApprovalNotificationKind.Escalated"/>). One compare-and-swap like any change, so a decision racing it has one order.
/// </summary>
/// <remarks>Thread-safe; it keeps no state between calls.</remarks>
internal sealed class ApprovalEscalator(ApprovalRecords records, ApprovalClock clock, NotificationFanout notifications, ILogger logger)
{
    /// <summary>
    /// Escalates the calls of a pending approval whose escalation is due (the deadline not yet passed: expiry comes first). Returns
    /// <see langword="null"/> when none is due, <see langword="true"/> when escalated, <see langword="false"/> when another writer
    /// got there first (read it again).
    /// </summary>
    public async Task<bool?> EscalateIfDueAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        DateTimeOffset now = clock.Now();
        if (approval.Status != ApprovalStatus.Pending || now >= approval.ExpiresAt)
        {
            return null;
        }

        List<PendingToolCall> due = [.. approval.Calls.Where(c => c.IsEscalationDue(now))];
        if (due.Count == 0)
        {
            return null;
        }

        foreach (PendingToolCall call in due)
        {
            IReadOnlyList<string> first = call.Approvers;
            call.Approvers = ApprovalEscalation.Widen(first, call.EscalationApprovers);
            call.EscalatedAt = now;
            records.Audit(approval, ApprovalAuditEvent.Escalated, "system", call, call.Fingerprint, reason:
                $"Nobody decided by {call.EscalatesAt:O}: escalated to {string.Join(", ", call.EscalationApprovers)}; " +
                $"{Names(first)} may still decide. The deadline stays {approval.ExpiresAt:O}.");
        }

        bool saved = await records.TrySaveAsync(approval, cancellationToken);
        if (saved)
        {
            ApprovalLog.ApprovalEscalated(logger, approval.Id, due.Count);

            // Named by the first call escalated at this moment, so that each escalation of an approval is announced once.
            await notifications.NotifyAsync(ApprovalNotificationKind.Escalated, approval, due[0].CallId);
        }

        return saved;
    }

    private static string Names(IReadOnlyList<string> approvers) =>
        approvers.Contains(PolicyEvaluator.NoCommonApprover, StringComparer.Ordinal) ? "nobody else (the policies name no common approver)" : string.Join(", ", approvers);
}
