using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a deadline is enforced: a pending approval past it becomes <see cref="ApprovalStatus.Expired"/> (nothing of its batch
/// runs), as one compare-and-swap like any other change, so an approval at its deadline is never both expired and decided.
/// The sweep also performs the escalations that are due (<see cref="ApprovalEscalator"/>), found by the same index column.
/// </summary>
internal sealed class ApprovalExpirer(
    ApprovalRecords records, ApprovalClock clock, HumanInLoopTelemetry telemetry, NotificationFanout notifications, ApprovalEscalator escalator, ILogger logger)
{
    private const int SweepPageSize = 200;

    /// <summary>
    /// Expires every pending approval whose deadline has passed, and escalates those with an escalation due; an unreadable one is
    /// logged and left for a person.
    /// </summary>
    /// <returns>How many this call expired.</returns>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        int expired = 0;
        string? token = null;
        do
        {
            StatePage page = await records.Store.ListAsync(
                new StateQuery { Status = ApprovalStatus.Pending, PageSize = SweepPageSize, ContinuationToken = token, IncludeHistory = false }, cancellationToken);
            foreach (StateEntry entry in page.Entries)
            {
                // The column holds the next due time: the deadline, or an escalation before it.
                if (entry.ExpiresAt <= clock.Now() && await AdvanceEntryAsync(entry.Id, cancellationToken))
                {
                    expired++;
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
        return expired;
    }

    /// <summary>
    /// Moves a pending approval past its deadline to Expired. Returns <see langword="null"/> when not due, <see langword="true"/>
    /// when expired, <see langword="false"/> when another writer got there first (read it again).
    /// </summary>
    public async Task<bool?> ExpireIfDueAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        if (approval.Status != ApprovalStatus.Pending || clock.Now() < approval.ExpiresAt)
        {
            return null;
        }

        approval.Status = ApprovalStatus.Expired;
        foreach (PendingToolCall call in approval.Calls)
        {
            // Nothing of an expired batch runs, not even the calls the policies allowed.
            if (call.Decision == CallDecisionStatus.AwaitingApproval)
            {
                call.Decision = CallDecisionStatus.Expired;
            }
            else if (call.Decision is CallDecisionStatus.AutoAllowed or CallDecisionStatus.Approved)
            {
                call.Result = ModelResults.ToJson("This tool call was not run because the approval of its batch expired. Do not retry it without asking the user.");
            }

            call.Execution = CallExecutionStatus.NotRun;
        }

        records.Audit(approval, ApprovalAuditEvent.Expired, "system", reason: $"No decision before {approval.ExpiresAt:O}; nothing ran.");
        bool saved = await records.TrySaveAsync(approval, cancellationToken);
        if (saved)
        {
            ApprovalLog.ApprovalExpired(logger, approval.Id);
            telemetry.Expired.Add(1);
            await notifications.NotifyAsync(ApprovalNotificationKind.Expired, approval);
        }

        return saved;
    }

    /// <summary>Escalates the due calls of a pending approval; see <see cref="ApprovalEscalator.EscalateIfDueAsync"/>.</summary>
    public Task<bool?> EscalateIfDueAsync(PendingApproval approval, CancellationToken cancellationToken) =>
        escalator.EscalateIfDueAsync(approval, cancellationToken);

    /// <summary>
    /// Expires (or else escalates) one due approval found by the sweep, reading it again after losing to another writer.
    /// Returns whether it expired it.
    /// </summary>
    private async Task<bool> AdvanceEntryAsync(string approvalId, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval;
            try
            {
                // Expiring or escalating looks at deadlines and calls, never at the conversation: it stays in the store.
                approval = await records.LoadWithoutHistoryAsync(approvalId, cancellationToken);
            }
            catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
            {
                // Left as it is for a person to look at; the sweep goes on with the others.
                ApprovalLog.UnreadableApproval(logger, exception, approvalId);
                return false;
            }

            bool? result = await ExpireIfDueAsync(approval, cancellationToken);
            if (result is not false)
            {
                if (result is true)
                {
                    return true;
                }

                // Not expired: an escalation may be due instead. Null: nothing is (decided meanwhile, or another sweep escalated it).
                if (await escalator.EscalateIfDueAsync(approval, cancellationToken) is not false)
                {
                    return false;
                }
            }
        }

        return false;
    }
}
