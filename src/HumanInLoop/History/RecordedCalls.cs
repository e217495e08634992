using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.Internal;

/// <summary>
/// Reads recorded calls back: from the approvals (every call of every held batch) and from the store's call records (calls
/// decided at once). Streams page by page; nothing is read whole.
/// </summary>
internal sealed class RecordedCalls(ApprovalRecords records, ILogger logger)
{
    public IStateStore Store => records.Store;

    /// <summary>Reads every recorded call the query selects: approvals first (newest first), then call records (oldest first).</summary>
    /// <param name="query">The window and filters.</param>
    /// <param name="onUnreadable">Told about an approval that cannot be read (malformed, or its audit chain broken); it is skipped.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async IAsyncEnumerable<RecordedCall> ReadAsync(
        HistoryQuery query, Action<string, Exception>? onUnreadable, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Each page is fetched while the one before it is read and judged (the stores are thread-safe), so a long replay
        // waits for the store or for its own work, whichever is slower, rather than for both in turn.
        // The tenant is filtered in the store's query too (an index), so a tenant's history never reads another tenant's approvals.
        // Listed without their conversations: a policy that asks for one has it read then (MessageLoader).
        StateQuery approvals = records.Supported(new() { CreatedFrom = query.From, CreatedBefore = query.Before, TenantId = query.TenantId, PageSize = 500, IncludeHistory = false });
        Task<StatePage>? next = records.Store.ListAsync(approvals, cancellationToken);
        try
        {
            while (next is not null)
            {
                StatePage page = await next;
                next = null;
                if (page.ContinuationToken is not null)
                {
                    approvals = approvals with { ContinuationToken = page.ContinuationToken };
                    next = records.Store.ListAsync(approvals, cancellationToken);
                }

                foreach (StateEntry entry in page.Entries)
                {
                    PendingApproval approval;
                    try
                    {
                        approval = await records.ReadAsync(entry, !approvals.IncludeHistory, cancellationToken);
                    }
                    catch (Exception exception) when (exception is ApprovalStateFormatException or ApprovalIntegrityException)
                    {
                        ApprovalLog.UnreadableApproval(logger, exception, entry.Id);
                        onUnreadable?.Invoke(entry.Id, exception);
                        continue;
                    }
                    catch (ApprovalNotFoundException)
                    {
                        continue; // purged between the listing and a whole read
                    }

                    Func<IReadOnlyList<ChatMessage>> messages = MessageLoader(approval);
                    foreach (PendingToolCall call in approval.Calls)
                    {
                        RecordedCall recorded = FromApproval(approval, call, messages);
                        if (query.Includes(recorded))
                        {
                            yield return recorded;
                        }
                    }
                }
            }
        }
        finally
        {
            await Abandon(next);
        }

        if (records.Store is not ICallRecordStore callRecords)
        {
            yield break;
        }

        CallRecordQuery calls = new() { From = query.From, Before = query.Before, TenantId = query.TenantId, ToolName = query.ToolName, PageSize = 1000 };
        Task<CallRecordPage>? nextRecords = callRecords.ListCallRecordsAsync(calls, cancellationToken);
        try
        {
            while (nextRecords is not null)
            {
                CallRecordPage page = await nextRecords;
                nextRecords = null;
                if (page.ContinuationToken is not null)
                {
                    calls = calls with { ContinuationToken = page.ContinuationToken };
                    nextRecords = callRecords.ListCallRecordsAsync(calls, cancellationToken);
                }

                foreach (CallRecordEntry entry in page.Entries)
                {
                    RecordedCall recorded = CallRecordFormat.Read(entry);
                    if (query.Includes(recorded))
                    {
                        yield return recorded;
                    }
                }
            }
        }
        finally
        {
            await Abandon(nextRecords);
        }
    }

    public static RecordedCall FromApproval(PendingApproval approval, PendingToolCall call, Func<IReadOnlyList<ChatMessage>>? messages)
    {
        CallOutcome outcome = call.Decision switch
        {
            CallDecisionStatus.AutoAllowed => call.GrantId is null ? CallOutcome.Allowed : CallOutcome.AllowedByGrant,
            CallDecisionStatus.Denied => CallOutcome.Denied,
            CallDecisionStatus.Approved => call.ApprovedArguments is null ? CallOutcome.Approved : CallOutcome.Edited,
            CallDecisionStatus.Rejected => call.RepeatOf is null ? CallOutcome.Rejected : CallOutcome.RejectedAsRepeat,
            CallDecisionStatus.Responded => CallOutcome.Responded,
            CallDecisionStatus.Expired => CallOutcome.Expired,
            _ => approval.Status switch
            {
                ApprovalStatus.Cancelled => CallOutcome.Cancelled,
                ApprovalStatus.Expired => CallOutcome.Expired,
                _ => CallOutcome.Awaiting,
            },
        };
        PolicyVerdictKind kind = call.Decision switch
        {
            CallDecisionStatus.AutoAllowed when call.GrantId is null => PolicyVerdictKind.Allow,
            CallDecisionStatus.Denied => PolicyVerdictKind.Deny,
            _ => PolicyVerdictKind.RequireApproval,
        };
        bool automated = outcome is CallOutcome.Allowed or CallOutcome.Denied or CallOutcome.AllowedByGrant;
        bool repeat = outcome == CallOutcome.RejectedAsRepeat;
        return new RecordedCall
        {
            Id = $"{approval.Id}/{call.CallId}",
            ApprovalId = approval.Id,
            CallId = call.CallId,
            ToolName = call.ToolName,
            Arguments = call.Arguments,
            Context = approval.Context,
            SeenAt = approval.CreatedAt,
            Verdict = new RecordedVerdict(kind, call.PolicyReason, call.Policies, policyVersions: call.PolicyVersions),
            ShadowVerdict = call.ShadowVerdict,
            Outcome = outcome,
            DecidedBy = automated ? (call.GrantId is null ? null : GrantMaker(approval, call)) : call.DecidedBy,
            DecidedAt = automated || repeat ? approval.CreatedAt : call.DecidedAt,
            RepeatOf = call.RepeatOf,
            DecisionReason = call.DecisionReason,
            EditedArguments = outcome == CallOutcome.Edited ? call.ApprovedArguments : null,
            Response = outcome == CallOutcome.Responded ? call.Result : null,
            GrantId = call.GrantId,
            MessageLoader = messages,
        };
    }

    /// <summary>Waits for a page fetched ahead that will not be read (the reader stopped or failed), so nothing runs on unobserved.</summary>
    private static async Task Abandon(Task? prefetch)
    {
        if (prefetch is not null)
        {
            await prefetch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    private static string? GrantMaker(PendingApproval approval, PendingToolCall call) =>
        approval.AuditTrail.FirstOrDefault(e => e.CallId == call.CallId && e.Event == ApprovalAuditEvent.AutoAllowed)?.Actor;

    private Func<IReadOnlyList<ChatMessage>> MessageLoader(PendingApproval approval)
    {
        IReadOnlyList<ChatMessage>? loaded = null;
        return () =>
        {
            if (loaded is not null)
            {
                return loaded;
            }

            if (approval.HistoryUnread)
            {
                // Listed without its conversation: read once, the first time a policy asks for it. Replay runs off the
                // request path, so waiting here blocks only the replay.
                approval = records.LoadAsync(approval.Id, CancellationToken.None).GetAwaiter().GetResult();
            }

            return loaded = approval.LoadHistory() ?? [];
        };
    }
}
