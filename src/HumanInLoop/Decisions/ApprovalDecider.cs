using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a decision is recorded: a person's approval, rejection, edit of, or answer in place of one call (authorized, counted when several people
/// must sign off, edits judged by the policies again), a cancellation, and the reconciliation of a call in doubt. Each is
/// one compare-and-swap of the record with its audit entry.
/// </summary>
internal sealed class ApprovalDecider(
    ApprovalRecords records, PolicyEvaluator evaluator, ApprovalExpirer expirer, ApproverAuthorization authorization, ApprovalClock clock,
    HumanInLoopTelemetry telemetry, NotificationFanout notifications, GrantIssuer grants, ILogger logger)
{
    private readonly SignOffCounter _signOffs = new(records, clock);

    /// <summary>
    /// Reads an approval for <paramref name="approver"/>: one of another tenant answers exactly like an id that does not exist. A decision
    /// does not look at the conversation, so it is left in the store, unless <paramref name="withHistory"/> (edited arguments are judged
    /// again by the policies, which see it).
    /// </summary>
    private async Task<PendingApproval> LoadForAsync(string approvalId, Approver approver, bool withHistory, CancellationToken cancellationToken)
    {
        PendingApproval approval = withHistory
            ? await records.LoadAsync(approvalId, cancellationToken)
            : await records.LoadWithoutHistoryAsync(approvalId, cancellationToken);
        return approver.Sees(approval.Context.TenantId) ? approval : throw new ApprovalNotFoundException(approvalId);
    }

    /// <summary>Records a person's decision on one call; see <see cref="ApprovalService.DecideAsync"/>.</summary>
    public async Task<PendingApproval> DecideAsync(string approvalId, string callId, ApprovalDecision decision, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callId);
        ArgumentNullException.ThrowIfNull(decision);
        using Activity? activity = HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.decide");
        activity?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approvalId);
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadForAsync(approvalId, decision.Approver, withHistory: decision.EditedArguments is not null, cancellationToken);
            PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
            if (await expirer.ExpireIfDueAsync(approval, cancellationToken) is { } expired)
            {
                if (expired)
                {
                    throw new ApprovalExpiredException(approvalId, approval.ExpiresAt);
                }

                continue;
            }

            // An escalation that fell due before this decision happens first (and is announced), so the escalation group may decide
            // at its time whether or not a sweep ran; then the decision applies to what is stored now.
            if (await expirer.EscalateIfDueAsync(approval, cancellationToken) is not null)
            {
                continue;
            }

            EnsureAwaitingDecision(approval, call);
            if (decision.ExpectedFingerprint is { } expected && !Integrity.FixedTimeEquals(expected, call.Fingerprint))
            {
                throw new ApprovalIntegrityException(approvalId, callId,
                    $"Call '{callId}' is not the call the approver saw (its fingerprint differs); decide again on what is stored now.");
            }

            authorization.Authorize(approval, call, decision.Approver, call.Approvers);
            bool final = await ApplyAsync(approval, call, decision, cancellationToken);
            // Prepared whenever asked for, final or not: a sign-off of several that asks for a grant is refused, not saved without it.
            ApprovalGrant? grant = decision.Grant is not null ? grants.Prepare(approval, call, decision) : null;
            if (!approval.AwaitingApproval.Any())
            {
                approval.Status = ApprovalStatus.Decided;
            }

            if (await records.TrySaveAsync(approval, cancellationToken))
            {
                ApprovalLog.CallDecided(logger, approvalId, callId, call.Decision, decision.Approver.Id);
                if (grant is not null)
                {
                    // After the decision commits: a crash between leaves a trail naming a grant that allows nothing.
                    await grants.StoreAsync(grant, cancellationToken);
                }

                string outcome = final ? HumanInLoopTelemetry.DecisionName(call.Decision, call.ApprovedArguments is not null) : "partially_approved";
                telemetry.Decided.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, outcome));
                if (final)
                {
                    telemetry.TimeToDecision.Record((call.DecidedAt!.Value - approval.CreatedAt).TotalSeconds, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, outcome));
                }

                activity?.SetTag(HumanInLoopTelemetry.DecisionTag, outcome);
                await notifications.NotifyAsync(ApprovalNotificationKind.Decided, approval, callId);
                return approval;
            }
        }

        throw await records.ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>Withdraws an approval that has not started to run; see <see cref="ApprovalService.CancelAsync"/>.</summary>
    public async Task<PendingApproval> CancelAsync(string approvalId, Approver approver, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadForAsync(approvalId, approver, withHistory: false, cancellationToken);
            if (approval.Status is not (ApprovalStatus.Pending or ApprovalStatus.Decided))
            {
                throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is {approval.Status} and can no longer be cancelled.");
            }

            approval.Status = ApprovalStatus.Cancelled;
            records.Audit(approval, ApprovalAuditEvent.Cancelled, approver.Id, reason: reason);
            if (await records.TrySaveAsync(approval, cancellationToken))
            {
                await notifications.NotifyAsync(ApprovalNotificationKind.Cancelled, approval);
                return approval;
            }
        }

        throw await records.ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>Records what a person found out about a call in doubt; see <see cref="ApprovalService.ResolveInDoubtAsync"/>.</summary>
    public async Task<PendingApproval> ResolveInDoubtAsync(
        string approvalId, string callId, Approver approver, bool tookEffect, string note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadForAsync(approvalId, approver, withHistory: false, cancellationToken);
            PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
            if (approval.Status != ApprovalStatus.InDoubt || call.Execution != CallExecutionStatus.InDoubt)
            {
                throw new ApprovalConflictException(approvalId, approval.Status, $"Call '{callId}' of approval '{approvalId}' is not in doubt.", callId);
            }

            // Reconciling is a decision about the call: the people who may approve it may record what happened to it.
            authorization.Authorize(approval, call, approver, call.Approvers);
            call.Execution = tookEffect ? CallExecutionStatus.Succeeded : CallExecutionStatus.NotRun;
            call.Result = JsonSerializer.SerializeToElement(
                tookEffect ? $"The call was interrupted; a person confirmed it took effect: {note}" : $"The call was interrupted; a person confirmed it did not take effect and it was not retried: {note}",
                HumanInLoopJson.StateOptions);
            records.Audit(approval, ApprovalAuditEvent.InDoubtResolved, approver.Id, call, call.ApprovedFingerprint, reason: note);
            if (approval.AllOrNothingBatch && !tookEffect)
            {
                // Part of an all-or-nothing batch did not happen: the calls held behind it never run.
                foreach (PendingToolCall held in approval.Calls.Where(CallRunner.IsHeld))
                {
                    CallRunner.SettleHeld(records, approval, held, callId);
                }
            }

            if (approval.Calls.All(c => c.Execution != CallExecutionStatus.InDoubt))
            {
                approval.Status = ApprovalStatus.Decided;
            }

            if (await records.TrySaveAsync(approval, cancellationToken))
            {
                return approval;
            }
        }

        throw await records.ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    private static void EnsureAwaitingDecision(PendingApproval approval, PendingToolCall call)
    {
        if (approval.Status == ApprovalStatus.Expired)
        {
            throw new ApprovalExpiredException(approval.Id, approval.ExpiresAt);
        }

        switch (call.Decision)
        {
            case CallDecisionStatus.Expired:
                throw new ApprovalExpiredException(approval.Id, approval.ExpiresAt);
            case CallDecisionStatus.Approved or CallDecisionStatus.Rejected or CallDecisionStatus.Responded:
                string done = call.Decision == CallDecisionStatus.Responded ? "answered in place of the tool" : call.Decision.ToString().ToLowerInvariant();
                throw new ApprovalConflictException(approval.Id, approval.Status,
                    $"Call '{call.CallId}' was already {done} by '{call.DecidedBy}' at {call.DecidedAt:O}.", call.CallId);
            case CallDecisionStatus.AutoAllowed or CallDecisionStatus.Denied:
                throw new ApprovalConflictException(approval.Id, approval.Status,
                    $"Call '{call.CallId}' was never pending: the policies {(call.Decision == CallDecisionStatus.Denied ? "denied" : "allowed")} it.", call.CallId);
        }

        if (approval.Status != ApprovalStatus.Pending)
        {
            throw new ApprovalConflictException(approval.Id, approval.Status, $"Approval '{approval.Id}' is {approval.Status}; it takes no more decisions.", call.CallId);
        }
    }

    /// <summary>Applies one person's decision to a call; returns <see langword="false"/> when it was one approval of several still needed.</summary>
    private async ValueTask<bool> ApplyAsync(PendingApproval approval, PendingToolCall call, ApprovalDecision decision, CancellationToken cancellationToken)
    {
        string actor = decision.Approver.Id;
        // An answer in place of the tool decides the call at once, like a rejection, however many approvals running it needs:
        // the tool never runs, and the sign-offs already given stay recorded.
        if (decision.Approved && call.RequiredApprovals > 1 && !_signOffs.Count(approval, call, decision, actor))
        {
            return false;
        }

        call.DecidedBy = decision.Approver.Id;
        call.DecidedAt = clock.Now();
        call.DecisionReason = decision.Reason;
        if (decision.Response is { } response)
        {
            // Settled now: nothing is left to run, so a resume only passes the answer on and never finds the call in doubt.
            call.Decision = CallDecisionStatus.Responded;
            call.Result = response;
            call.Execution = CallExecutionStatus.NotRun;
            records.Audit(approval, ApprovalAuditEvent.RespondedInstead, actor, call, call.Fingerprint, call.Arguments, decision.Reason);
            return true;
        }

        if (!decision.Approved)
        {
            call.Decision = CallDecisionStatus.Rejected;
            call.AskAgainIfRepeated = decision.AskAgainIfRepeated;
            records.Audit(approval, ApprovalAuditEvent.Rejected, actor, call, call.Fingerprint, call.Arguments,
                decision.AskAgainIfRepeated ? $"{decision.Reason} (ask again if the model proposes it again)" : decision.Reason);
            return true;
        }

        if (decision.EditedArguments is not { } edited)
        {
            call.Decision = CallDecisionStatus.Approved;
            call.ApprovedFingerprint = call.Fingerprint;
            records.Audit(approval, ApprovalAuditEvent.Approved, actor, call, call.Fingerprint, call.Arguments, decision.Reason);
            return true;
        }

        // Edited arguments are a new call as far as the policies are concerned: judged again, by the people they name.
        PolicyEvaluationContext recheck = new(call.ToolName, call.CallId, null, edited, approval.Context, approval.LoadHistory());
        (PolicyVerdict verdict, _, string[] versions) = await evaluator.JudgeAsync(recheck, cancellationToken);
        if (verdict.Kind == PolicyVerdictKind.Deny)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId, $"The policies deny the edited arguments: {verdict.Reason}",
                await DenyingEdits.FindAsync(evaluator, approval, call, edited, cancellationToken));
        }

        if (verdict.Kind == PolicyVerdictKind.RequireApproval)
        {
            // On an escalated call, the escalation group the policies name for the edited arguments may decide them too.
            authorization.Authorize(approval, call, decision.Approver, call.EscalatedAt is not null && verdict.Escalation is { } escalation
                ? ApprovalEscalation.Widen(verdict.Approvers, escalation.Approvers)
                : verdict.Approvers);
        }

        string fingerprint = Integrity.Fingerprint(approval.Id, approval.Context.ConversationId, call.CallId, call.ToolName, edited);
        call.Decision = CallDecisionStatus.Approved;
        call.ApprovedArguments = edited;
        call.ApprovedFingerprint = fingerprint;
        records.Audit(approval, ApprovalAuditEvent.ApprovedWithEdits, actor, call, fingerprint, edited, decision.Reason, versions.Length == 0 ? null : versions);
        return true;
    }
}
