using System.Text.Json;
using HumanInLoop.Internal;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop;

/// <content>Policy evaluation and holding a batch (the approval gate's side).</content>
public sealed partial class ApprovalService
{
    private const string NoCommonApprover = "\u0000no-common-approver";

    /// <summary>Evaluates every policy for one call and combines the outcomes: Deny over RequireApproval over Allow, else the default.</summary>
    internal async ValueTask<PolicyVerdict> EvaluateAsync(PolicyEvaluationContext call, CancellationToken cancellationToken)
    {
        PolicyVerdict? deny = null;
        PolicyVerdict? require = null;
        bool allowed = false;
        foreach (IApprovalPolicy policy in _policies)
        {
            PolicyVerdict decision = await policy.EvaluateAsync(call, cancellationToken);
            switch (decision.Kind)
            {
                case PolicyVerdictKind.Deny:
                    deny = deny is null ? decision : PolicyVerdict.Deny($"{deny.Reason} {decision.Reason}");
                    break;
                case PolicyVerdictKind.RequireApproval:
                    require = require is null ? decision : Merge(require, decision);
                    break;
                case PolicyVerdictKind.Allow:
                    allowed = true;
                    break;
            }
        }

        return deny ?? require ?? (allowed ? PolicyVerdict.Allow : _unmatched);
    }

    /// <summary>Several approval requirements: every reason is shown, the earliest deadline holds, the most approvals asked for are needed, and only approvers named by every policy that names any may decide.</summary>
    private static PolicyVerdict Merge(PolicyVerdict first, PolicyVerdict second)
    {
        IEnumerable<string>? approvers = (first.Approvers.Count, second.Approvers.Count) switch
        {
            (0, 0) => null,
            (_, 0) => first.Approvers,
            (0, _) => second.Approvers,
            _ => first.Approvers.Intersect(second.Approvers, StringComparer.Ordinal).DefaultIfEmpty(NoCommonApprover),
        };
        TimeSpan? expires = (first.ExpiresAfter, second.ExpiresAfter) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            (var a, var b) => a ?? b,
        };
        return PolicyVerdict.RequireApproval($"{first.Reason} {second.Reason}", approvers, expires, Math.Max(first.RequiredApprovals, second.RequiredApprovals));
    }

    /// <summary>How deep a held call's arguments may nest: the stored approval wraps them in a few levels of its own, within its limit of 64.</summary>
    internal const int MaxArgumentDepth = 32;

    /// <summary>
    /// Whether a call's arguments can be stored in an approval; a call whose arguments cannot (nested deeper than
    /// <see cref="MaxArgumentDepth"/>, or not serializable) is denied rather than failing the whole hold.
    /// </summary>
    internal static bool CanHold(PolicyEvaluationContext call, out string reason)
    {
        try
        {
            if (Depth(call.Arguments) <= MaxArgumentDepth)
            {
                reason = "";
                return true;
            }
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or ArgumentException)
        {
            reason = $"The arguments cannot be stored for a person to review: {exception.Message}";
            return false;
        }

        reason = $"The arguments nest deeper than {MaxArgumentDepth} levels, more than an approval can store for a person to review.";
        return false;

        static int Depth(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
            JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
            _ => 0,
        };
    }

    /// <summary>Saves a held batch as a new approval; called by the gate before it throws <see cref="PendingApprovalException"/>.</summary>
    internal async Task<PendingApproval> HoldAsync(
        IReadOnlyList<ChatMessage> history, IReadOnlyList<PolicyEvaluationContext> calls, IReadOnlyList<PolicyVerdict> decisions,
        CallerContext context, ApprovalOrigin origin, CancellationToken cancellationToken)
    {
        using Activity? activity = HumanInLoopTelemetry.ActivitySource.StartActivity("humaninloop.hold");
        DateTimeOffset now = Now();
        TimeSpan expiresAfter = _defaultExpiration;
        foreach (PolicyVerdict decision in decisions)
        {
            if (decision.Kind == PolicyVerdictKind.RequireApproval && decision.ExpiresAfter is { } after && after < expiresAfter)
            {
                expiresAfter = after;
            }
        }

        PendingApproval approval = new()
        {
            FormatVersion = PendingApproval.CurrentFormatVersion,
            Id = NewId("apr_"),
            Status = ApprovalStatus.Pending,
            Origin = origin,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + expiresAfter,
            Context = context,
            Messages = [.. history],
            HistoryApart = Store.StoresHistorySeparately,
            Version = 1,
        };
        Audit(approval, ApprovalAuditEvent.Created, "system", reason: $"{calls.Count} tool call(s) held; decisions due by {approval.ExpiresAt:O}.");

        List<PendingToolCall> pending = new(calls.Count);
        for (int i = 0; i < calls.Count; i++)
        {
            PolicyEvaluationContext call = calls[i];
            PolicyVerdict decision = decisions[i];
            JsonElement arguments = call.Arguments;
            string fingerprint = Integrity.Fingerprint(approval.Id, context.ConversationId, call.CallId, call.ToolName, arguments);
            PendingToolCall record = new()
            {
                CallId = call.CallId,
                ToolName = call.ToolName,
                Arguments = arguments,
                Fingerprint = fingerprint,
                PolicyReason = decision.Reason,
                Approvers = decision.Approvers,
                RequiredApprovals = decision.Kind == PolicyVerdictKind.RequireApproval ? decision.RequiredApprovals : 1,
                IdempotencyKey = $"{approval.Id}-{i}",
                Decision = decision.Kind switch
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

            pending.Add(record);
            Audit(approval, auditEvent, "policy", record, fingerprint, arguments, decision.Reason);
            if (record.Decision != CallDecisionStatus.AwaitingApproval)
            {
                _telemetry.Decided.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.DecisionTag, HumanInLoopTelemetry.DecisionName(record.Decision, false)));
            }

            if (_logger.IsEnabled(LogLevel.Trace))
            {
                Log.CallHeldWithArguments(_logger, approval.Id, record.CallId, record.ToolName, record.Decision, arguments.GetRawText());
            }
        }

        approval.Calls = pending;
        StateEntry entry;
        try
        {
            entry = ToEntry(approval, 1);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            // Something in the history cannot be written (nested too deep, an unserializable value): nothing is saved, nothing runs.
            throw new ApprovalStateFormatException($"The conversation cannot be saved as an approval: {exception.Message}", approval.Id, exception);
        }

        // Saved, a longer approval could never be read again (not decided, not expired, not cancelled): refuse it now instead,
        // with room left for what its decisions and runs will add.
        long length = StoredLength(approval, entry);
        if (length > PendingApprovalSerializer.MaxLength - StoredLengthHeadroom)
        {
            throw new ApprovalStateFormatException(
                $"The conversation is too long to hold for approval: it would be stored as {length} characters, and at most {PendingApprovalSerializer.MaxLength - StoredLengthHeadroom} are held (so that it can always be read back). Nothing was saved and nothing ran.",
                approval.Id);
        }

        if (!await Store.TryCreateAsync(entry, cancellationToken))
        {
            throw new InvalidOperationException($"An approval with id '{approval.Id}' already exists in the store.");
        }

        approval.StoredLength = length;
        Log.ApprovalHeld(_logger, approval.Id, approval.Context.ConversationId, calls.Count);
        _telemetry.Requested.Add(1, new KeyValuePair<string, object?>(HumanInLoopTelemetry.OriginTag, origin.ToString()));
        activity?.SetTag(HumanInLoopTelemetry.ApprovalIdTag, approval.Id).SetTag(HumanInLoopTelemetry.CallCountTag, calls.Count);
        await NotifyAsync(ApprovalNotificationKind.Pending, approval);
        return approval;
    }
}
