using System.Diagnostics;
using System.Text.Json;
using HumanInLoop.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <content>Recording people's decisions, cancelling, and reconciling calls in doubt.</content>
public sealed partial class ApprovalService
{
    /// <summary>Records a person's decision on one call. When the last waiting call is decided, the approval becomes <see cref="ApprovalStatus.Decided"/> and can be resumed.</summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="callId">The call id.</param>
    /// <param name="decision">Approve, reject, or approve with edited arguments; built from an authenticated identity.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after the decision.</returns>
    /// <exception cref="ApprovalNotFoundException">No such approval or call.</exception>
    /// <exception cref="ApprovalConflictException">The call was already decided, was never pending, or the approval is no longer open.</exception>
    /// <exception cref="ApprovalExpiredException">The deadline passed; the approval is now recorded as expired.</exception>
    /// <exception cref="ApprovalForbiddenException">The approver may not decide this call, or a policy denies the edited arguments.</exception>
    /// <exception cref="ApprovalIntegrityException">The call no longer has <see cref="ApprovalDecision.ExpectedFingerprint"/>, or the state was altered.</exception>
    public async Task<PendingApproval> DecideAsync(string approvalId, string callId, ApprovalDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callId);
        ArgumentNullException.ThrowIfNull(decision);
        using Activity? activity = HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.decide");
        activity?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approvalId);
        for (int attempt = 0; attempt < MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadAsync(approvalId, cancellationToken);
            PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
            if (await ExpireIfDueAsync(approval, cancellationToken) is { } expired)
            {
                if (expired)
                {
                    throw new ApprovalExpiredException(approvalId, approval.ExpiresAt);
                }

                continue;
            }

            EnsureAwaitingDecision(approval, call);
            if (decision.ExpectedFingerprint is { } expected && !CryptographicEquals(expected, call.Fingerprint))
            {
                throw new ApprovalIntegrityException(approvalId, callId,
                    $"Call '{callId}' is not the call the approver saw (its fingerprint differs); decide again on what is stored now.");
            }

            Authorize(approval, call, decision.Approver, call.Approvers);
            bool final = await ApplyAsync(approval, call, decision, cancellationToken);
            if (!approval.AwaitingApproval.Any())
            {
                approval.Status = ApprovalStatus.Decided;
            }

            if (await TrySaveAsync(approval, cancellationToken))
            {
                Log.CallDecided(_logger, approvalId, callId, call.Decision, decision.Approver.Id);
                string outcome = final ? HumanInLoopTelemetry.DecisionName(call.Decision, call.ApprovedArguments is not null) : "partially_approved";
                _telemetry.Decided.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, outcome));
                if (final)
                {
                    _telemetry.TimeToDecision.Record((call.DecidedAt!.Value - approval.CreatedAt).TotalSeconds, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, outcome));
                }

                activity?.SetTag(HumanInLoopTelemetry.DecisionTag, outcome);
                await NotifyAsync(ApprovalNotificationKind.Decided, approval, callId);
                return approval;
            }
        }

        throw await ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>
    /// Records a decision that arrives as a Microsoft.Extensions.AI <see cref="ToolApprovalResponseContent"/> (from a UI built
    /// on <see cref="CreateApprovalRequests"/>). It is accepted only when its request id, tool and arguments match a stored
    /// waiting call; what runs are the stored arguments, never the ones in the response.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="response">The response content.</param>
    /// <param name="approver">Who decided, as authenticated by the host (never taken from the response).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after the decision.</returns>
    /// <exception cref="ApprovalIntegrityException">The response does not match a stored call (forged or altered).</exception>
    public async Task<PendingApproval> ApplyApprovalResponseAsync(string approvalId, ToolApprovalResponseContent response, Approver approver, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(approver);
        string prefix = RequestId(approvalId, "");
        if (response.RequestId is not { } requestId || !requestId.StartsWith(prefix, StringComparison.Ordinal) ||
            response.ToolCall is not FunctionCallContent toolCall)
        {
            throw new ApprovalIntegrityException(approvalId, null, "The approval response does not answer a request of this approval.");
        }

        string callId = requestId[prefix.Length..];
        PendingApproval approval = await LoadAsync(approvalId, cancellationToken);
        PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
        string claimed;
        try
        {
            claimed = Integrity.Fingerprint(approvalId, approval.Context.ConversationId, toolCall.CallId, toolCall.Name, CanonicalJson.FromArguments(toolCall.Arguments));
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or NotSupportedException)
        {
            throw new ApprovalIntegrityException(approvalId, callId, $"The approval response for call '{callId}' carries arguments that cannot be read; it is refused.");
        }

        if (!CryptographicEquals(claimed, call.Fingerprint))
        {
            throw new ApprovalIntegrityException(approvalId, callId,
                $"The approval response for call '{callId}' names a different tool, call or arguments than the stored request; it is refused.");
        }

        ApprovalDecision decision = response.Approved
            ? ApprovalDecision.Approve(approver, response.Reason)
            : ApprovalDecision.Reject(approver, string.IsNullOrWhiteSpace(response.Reason) ? "Rejected by the approver." : response.Reason);
        return await DecideAsync(approvalId, callId, decision with { ExpectedFingerprint = call.Fingerprint }, cancellationToken);
    }

    /// <summary>Withdraws an approval that has not started to run; nothing of it will run.</summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="approver">Who withdraws it.</param>
    /// <param name="reason">Why, as recorded.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The cancelled approval.</returns>
    public async Task<PendingApproval> CancelAsync(string approvalId, Approver approver, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        for (int attempt = 0; attempt < MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadAsync(approvalId, cancellationToken);
            if (approval.Status is not (ApprovalStatus.Pending or ApprovalStatus.Decided))
            {
                throw new ApprovalConflictException(approvalId, approval.Status, $"Approval '{approvalId}' is {approval.Status} and can no longer be cancelled.");
            }

            approval.Status = ApprovalStatus.Cancelled;
            Audit(approval, ApprovalAuditEvent.Cancelled, ApproverActor(approver), reason: reason);
            if (await TrySaveAsync(approval, cancellationToken))
            {
                await NotifyAsync(ApprovalNotificationKind.Cancelled, approval);
                return approval;
            }
        }

        throw await ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>
    /// Records what a person found out about a call that was interrupted while running (<see cref="CallExecutionStatus.InDoubt"/>).
    /// It is never re-run; the model is told the outcome the person reports. When no call is left in doubt, the approval can be resumed.
    /// </summary>
    /// <param name="approvalId">The approval id.</param>
    /// <param name="callId">The call in doubt.</param>
    /// <param name="approver">Who reconciled it.</param>
    /// <param name="tookEffect">Whether the call's effect happened (for example, the transfer is on the statement).</param>
    /// <param name="note">What was found, recorded and sent to the model.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The approval after reconciliation.</returns>
    /// <exception cref="ApprovalForbiddenException">The approver may not decide this call (the same rules as approving it).</exception>
    public async Task<PendingApproval> ResolveInDoubtAsync(
        string approvalId, string callId, Approver approver, bool tookEffect, string note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        for (int attempt = 0; attempt < MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await LoadAsync(approvalId, cancellationToken);
            PendingToolCall call = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
            if (approval.Status != ApprovalStatus.InDoubt || call.Execution != CallExecutionStatus.InDoubt)
            {
                throw new ApprovalConflictException(approvalId, approval.Status, $"Call '{callId}' of approval '{approvalId}' is not in doubt.", callId);
            }

            // Reconciling is a decision about the call: the people who may approve it may record what happened to it.
            Authorize(approval, call, approver, call.Approvers);
            call.Execution = tookEffect ? CallExecutionStatus.Succeeded : CallExecutionStatus.NotRun;
            call.Result = JsonSerializer.SerializeToElement(
                tookEffect ? $"The call was interrupted; a person confirmed it took effect: {note}" : $"The call was interrupted; a person confirmed it did not take effect and it was not retried: {note}",
                HumanInLoopJson.StateOptions);
            Audit(approval, ApprovalAuditEvent.InDoubtResolved, ApproverActor(approver), call, call.ApprovedFingerprint, reason: note);
            if (approval.Calls.All(c => c.Execution != CallExecutionStatus.InDoubt))
            {
                approval.Status = ApprovalStatus.Decided;
            }

            if (await TrySaveAsync(approval, cancellationToken))
            {
                return approval;
            }
        }

        throw await ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>Moves a pending approval past its deadline to Expired. Returns null when not due, true when expired, false when another writer got there first.</summary>
    private async Task<bool?> ExpireIfDueAsync(PendingApproval approval, CancellationToken cancellationToken)
    {
        if (approval.Status != ApprovalStatus.Pending || Now() < approval.ExpiresAt)
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
                call.Result = ToJson("This tool call was not run because the approval of its batch expired. Do not retry it without asking the user.");
            }

            call.Execution = CallExecutionStatus.NotRun;
        }

        Audit(approval, ApprovalAuditEvent.Expired, "system", reason: $"No decision before {approval.ExpiresAt:O}; nothing ran.");
        bool saved = await TrySaveAsync(approval, cancellationToken);
        if (saved)
        {
            Log.ApprovalExpired(_logger, approval.Id);
            _telemetry.Expired.Add(1);
            await NotifyAsync(ApprovalNotificationKind.Expired, approval);
        }

        return saved;
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
            case CallDecisionStatus.Approved or CallDecisionStatus.Rejected:
                throw new ApprovalConflictException(approval.Id, approval.Status,
                    $"Call '{call.CallId}' was already {call.Decision.ToString().ToLowerInvariant()} by '{call.DecidedBy}' at {call.DecidedAt:O}.", call.CallId);
            case CallDecisionStatus.AutoAllowed or CallDecisionStatus.Denied:
                throw new ApprovalConflictException(approval.Id, approval.Status,
                    $"Call '{call.CallId}' was never pending: the policies {(call.Decision == CallDecisionStatus.Denied ? "denied" : "allowed")} it.", call.CallId);
        }

        if (approval.Status != ApprovalStatus.Pending)
        {
            throw new ApprovalConflictException(approval.Id, approval.Status, $"Approval '{approval.Id}' is {approval.Status}; it takes no more decisions.", call.CallId);
        }
    }

    private void Authorize(PendingApproval approval, PendingToolCall call, Approver approver, IReadOnlyList<string> allowed)
    {
        if (_preventSelfApproval && approval.Context.UserId is { } requester && string.Equals(requester, approver.Id, StringComparison.Ordinal))
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId, $"'{approver.Id}' started this conversation and may not approve its own request.");
        }

        if (allowed.Contains(NoCommonApprover, StringComparer.Ordinal))
        {
            // Contradictory approver lists: nobody may decide, whatever id or role someone presents.
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"Nobody may decide call '{call.CallId}' ({call.ToolName}): its policies name no common approver. It can only be cancelled or expire.");
        }

        if (!approver.IsAnyOf(allowed))
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"'{approver.Id}' may not decide call '{call.CallId}' ({call.ToolName}); allowed: {string.Join(", ", allowed.Where(a => a != NoCommonApprover).DefaultIfEmpty("nobody (the policies name no common approver)"))}.");
        }
    }

    /// <summary>Applies one person's decision to a call; returns <see langword="false"/> when it was one approval of several still needed.</summary>
    private async ValueTask<bool> ApplyAsync(PendingApproval approval, PendingToolCall call, ApprovalDecision decision, CancellationToken cancellationToken)
    {
        string actor = ApproverActor(decision.Approver);
        if (decision.Approved && call.RequiredApprovals > 1 && !RecordOneOfSeveral(approval, call, decision, actor))
        {
            return false;
        }

        call.DecidedBy = decision.Approver.Id;
        call.DecidedAt = Now();
        call.DecisionReason = decision.Reason;
        if (!decision.Approved)
        {
            call.Decision = CallDecisionStatus.Rejected;
            Audit(approval, ApprovalAuditEvent.Rejected, actor, call, call.Fingerprint, call.Arguments, decision.Reason);
            return true;
        }

        if (decision.EditedArguments is not { } edited)
        {
            call.Decision = CallDecisionStatus.Approved;
            call.ApprovedFingerprint = call.Fingerprint;
            Audit(approval, ApprovalAuditEvent.Approved, actor, call, call.Fingerprint, call.Arguments, decision.Reason);
            return true;
        }

        PolicyEvaluationContext recheck = new(call.ToolName, call.CallId, null, edited, approval.Context, approval.Messages);
        PolicyVerdict verdict = await EvaluateAsync(recheck, cancellationToken);
        if (verdict.Kind == PolicyVerdictKind.Deny)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId, $"The policies deny the edited arguments: {verdict.Reason}");
        }

        if (verdict.Kind == PolicyVerdictKind.RequireApproval)
        {
            Authorize(approval, call, decision.Approver, verdict.Approvers);
        }

        string fingerprint = Integrity.Fingerprint(approval.Id, approval.Context.ConversationId, call.CallId, call.ToolName, edited);
        call.Decision = CallDecisionStatus.Approved;
        call.ApprovedArguments = edited;
        call.ApprovedFingerprint = fingerprint;
        Audit(approval, ApprovalAuditEvent.ApprovedWithEdits, actor, call, fingerprint, edited, decision.Reason);
        return true;
    }

    /// <summary>
    /// Counts one approval of a call that needs several different people; returns <see langword="true"/> when it is the last one
    /// needed (the caller then records the call as approved). Edits are refused on such calls: the others approved what they saw.
    /// </summary>
    private bool RecordOneOfSeveral(PendingApproval approval, PendingToolCall call, ApprovalDecision decision, string actor)
    {
        int required = call.RequiredApprovals;
        if (decision.EditedArguments is not null)
        {
            throw new ApprovalForbiddenException(approval.Id, call.CallId,
                $"Call '{call.CallId}' needs {required} approvals, so its arguments cannot be edited; reject it with a reason instead.");
        }

        List<CallSignOff> given = call.SignOffsData ??= [];
        if (given.Exists(a => string.Equals(a.ApproverId, decision.Approver.Id, StringComparison.Ordinal)))
        {
            throw new ApprovalConflictException(approval.Id, approval.Status,
                $"'{decision.Approver.Id}' already approved call '{call.CallId}'; it needs {required} different approvers.", call.CallId);
        }

        given.Add(new CallSignOff(decision.Approver.Id, Now(), decision.Reason));
        if (given.Count >= required)
        {
            return true;
        }

        Audit(approval, ApprovalAuditEvent.PartiallyApproved, actor, call, call.Fingerprint, call.Arguments,
            $"Approval {given.Count} of {required}." + (string.IsNullOrWhiteSpace(decision.Reason) ? "" : $" {decision.Reason}"));
        return false;
    }

    /// <summary>The error for an approval that kept changing under concurrent writers, with the status it has now (read again, not assumed).</summary>
    private async Task<ApprovalConflictException> ConcurrentChangeAsync(string approvalId, CancellationToken cancellationToken)
    {
        PendingApproval current = await LoadAsync(approvalId, cancellationToken);
        return new ApprovalConflictException(approvalId, current.Status,
            $"Approval '{approvalId}' kept changing under concurrent writers (it is now {current.Status}); read it again and retry.");
    }
}
