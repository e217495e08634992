using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Where a batch is held: the calls of one model response (or the actions of a plan) that the policies judged, saved as a new
/// <see cref="PendingApproval"/> with every verdict recorded, before the gate throws <see cref="PendingApprovalException"/>.
/// </summary>
internal sealed class ApprovalHolder(
    ApprovalRecords records, ApprovalClock clock, TimeSpan defaultExpiration, HumanInLoopTelemetry telemetry, NotificationFanout notifications, ILogger logger)
{
    /// <summary>Saves a held batch as a new approval; nothing of it has run.</summary>
    /// <exception cref="ApprovalStateFormatException">The conversation cannot be saved, or is too long to read back; nothing was saved.</exception>
    public async Task<PendingApproval> HoldAsync(
        IReadOnlyList<ChatMessage> history, IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement,
        CallerContext context, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        using Activity? activity = HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.hold");
        DateTimeOffset now = clock.Now();
        PendingApproval approval = new()
        {
            FormatVersion = PendingApproval.CurrentFormatVersion,
            Id = ApprovalIds.New("apr_"),
            Status = ApprovalStatus.Pending,
            Origin = origin,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + ExpiresAfter(judgement.Verdicts),
            Context = context,
            Messages = [.. history],
            HistoryApart = records.Store.StoresHistorySeparately,
            AllOrNothingBatch = judgement.AllOrNothing,
            Version = 1,
        };
        records.Audit(approval, ApprovalAuditEvent.Created, "system", reason: $"{calls.Count} tool call(s) held; decisions due by {approval.ExpiresAt:O}.");

        List<PendingToolCall> held = new(calls.Count);
        for (int i = 0; i < calls.Count; i++)
        {
            held.Add(Record(approval, calls[i], judgement, i));
        }

        approval.Calls = held;
        await records.CreateAsync(approval, cancellationToken);
        ApprovalLog.ApprovalHeld(logger, approval.Id, approval.Context.ConversationId, calls.Count);
        telemetry.Requested.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.OriginTag, origin.ToString()));
        activity?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approval.Id).SetTag(HumanInLoopTelemetry.CallCountTag, calls.Count);
        await notifications.NotifyAsync(ApprovalNotificationKind.Pending, approval);
        return approval;
    }

    /// <summary>The deadline: the default, or the shortest a policy that asks for a person sets.</summary>
    private TimeSpan ExpiresAfter(IReadOnlyList<PolicyVerdict> verdicts)
    {
        TimeSpan expiresAfter = defaultExpiration;
        foreach (PolicyVerdict verdict in verdicts)
        {
            if (verdict.Kind == PolicyVerdictKind.RequireApproval && verdict.ExpiresAfter is { } after && after < expiresAfter)
            {
                expiresAfter = after;
            }
        }

        return expiresAfter;
    }

    /// <summary>Records one call with its verdict, its fingerprint and its idempotency key, and audits the verdict.</summary>
    private PendingToolCall Record(PendingApproval approval, PolicyEvaluationContext call, BatchJudgement judgement, int index)
    {
        PolicyVerdict verdict = judgement.Verdicts[index];
        ApprovalGrant? grant = judgement.GrantOf(index);
        JsonElement arguments = call.Arguments;
        string fingerprint = Integrity.Fingerprint(approval.Id, approval.Context.ConversationId, call.CallId, call.ToolName, arguments);
        PendingToolCall record = new()
        {
            CallId = call.CallId,
            ToolName = call.ToolName,
            Arguments = arguments,
            Fingerprint = fingerprint,
            PolicyReason = judgement.Recorded[index].Reason,
            PoliciesData = [.. judgement.Recorded[index].Policies],
            PolicyVersionsData = judgement.Recorded[index].PolicyVersions is { Count: > 0 } versions ? [.. versions] : null,
            ShadowVerdict = judgement.ShadowOf(index),
            GrantId = grant?.Id,
            Approvers = verdict.Approvers,
            RequiredApprovals = verdict.Kind == PolicyVerdictKind.RequireApproval ? verdict.RequiredApprovals : 1,
            IdempotencyKey = $"{approval.Id}-{index}",
            Decision = verdict.Kind switch
            {
                PolicyVerdictKind.Allow => CallDecisionStatus.AutoAllowed,
                PolicyVerdictKind.Deny => CallDecisionStatus.Denied,
                _ => CallDecisionStatus.AwaitingApproval,
            },
        };
        ApprovalAuditEvent auditEvent = record.Decision switch
        {
            CallDecisionStatus.AutoAllowed => ApprovalAuditEvent.AutoAllowed,
            CallDecisionStatus.Denied => ApprovalAuditEvent.Denied,
            _ => ApprovalAuditEvent.ApprovalRequested,
        };
        if (record.Decision == CallDecisionStatus.AutoAllowed)
        {
            record.ApprovedFingerprint = fingerprint;
        }

        string escalates = "";
        if (record.Decision == CallDecisionStatus.AwaitingApproval && verdict.Escalation is { } escalation &&
            DateTimeOffset.FromUnixTimeMilliseconds((approval.CreatedAt + escalation.After).ToUnixTimeMilliseconds()) is var at && at < approval.ExpiresAt)
        {
            // An escalation the deadline comes before (the default or another policy's is shorter) would never happen: none is planned.
            record.EscalatesAt = at;
            record.EscalationApproversData = [.. escalation.Approvers];
            escalates = $" If undecided by {at:O}, escalated to {string.Join(", ", escalation.Approvers)}.";
        }

        string? reason = grant is null
            ? (escalates.Length == 0 ? verdict.Reason : verdict.Reason + escalates)
            : $"Allowed by standing grant {grant.Id}, made by '{grant.GrantedBy}' (the policies asked for a person: {record.PolicyReason}).";
        EarlierRejection? repeat = judgement.RepeatOf(index);
        if (repeat is not null)
        {
            // Answered with a person's earlier rejection (the retry-loop guard): rejected as that person did, never run, nobody asked.
            (record.Decision, record.DecidedBy, record.DecidedAt, record.DecisionReason, record.RepeatOf) =
                (CallDecisionStatus.Rejected, repeat.RejectedBy, clock.Now(), repeat.Reason, repeat.Reference);
            (auditEvent, reason) = (ApprovalAuditEvent.RepeatAnswered, $"Repeats {repeat.Reference}, rejected by '{repeat.RejectedBy}' (repeat {repeat.Repeat}): {repeat.Reason}");
        }

        records.Audit(approval, auditEvent, repeat is not null ? RetryGuard.Actor : grant is null ? "policy" : grant.GrantedBy, record, fingerprint, arguments, reason,
            record.PolicyVersionsData);
        if (record.Decision != CallDecisionStatus.AwaitingApproval && repeat is null)
        {
            telemetry.Decided.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, HumanInLoopTelemetry.DecisionName(record.Decision, false)));
        }

        if (logger.IsEnabled(LogLevel.Trace))
        {
            ApprovalLog.CallHeldWithArguments(logger, approval.Id, record.CallId, record.ToolName, record.Decision, arguments.GetRawText());
        }

        return record;
    }
}
