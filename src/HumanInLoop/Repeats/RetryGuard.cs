namespace HumanInLoop.Internal;

/// <summary>
/// The retry-loop guard: a call the policies would put to a person that repeats a call a person rejected earlier in the same
/// conversation (same tool, semantically equal arguments) is answered with that rejection instead, each repeat counted on the
/// rejected call; the repeat that reaches the limit stops the conversation (<see cref="RejectedCallRepeatedException"/>).
/// </summary>
/// <remarks>
/// The rejections are read from the store, by <see cref="CallerContext.ConversationId"/>, not from the message history: the store
/// is the authority on what a person decided, it survives restarts and other servers, and a client cannot remove a rejection from
/// it by editing the history it sends. Only batches with a call that would be held pay the read (one listing per batch), and a
/// call without a conversation id is never guarded. Thread-safe; the count is a compare-and-swap of the rejection's approval.
/// </remarks>
internal sealed class RetryGuard(ApprovalRecords records, ResumingRepeats resuming, int limit)
{
    /// <summary>The actor recorded for the guard's entries in an audit trail.</summary>
    public const string Actor = "system";

    /// <summary>Turns every call of the batch that repeats a standing rejection into that rejection, counted and recorded.</summary>
    public async ValueTask AnswerRepeatsAsync(IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, CancellationToken cancellationToken)
    {
        if (calls.Count == 0 || calls[0].Context.ConversationId is not { } conversation)
        {
            return;
        }

        List<(PendingApproval Approval, PendingToolCall Call)>? decided = null;
        for (int i = 0; i < calls.Count; i++)
        {
            if (judgement.Verdicts[i].Kind != PolicyVerdictKind.RequireApproval)
            {
                continue;
            }

            decided ??= await ListPersonDecisionsAsync(conversation, cancellationToken);
            if (Find(decided, calls[i]) is not { } rejection)
            {
                continue;
            }

            EarlierRejection earlier = await CountAsync(rejection.ApprovalId, rejection.CallId, calls[i], cancellationToken);
            (judgement.Repeats ??= new EarlierRejection?[calls.Count])[i] = earlier;
            judgement.Verdicts[i] = PolicyVerdict.Deny(earlier.Answer);
            if (earlier.LimitReached)
            {
                judgement.Stop ??= new RejectedCallRepeatedException(
                    conversation, calls[i].ToolName, calls[i].CallId, earlier.ApprovalId, earlier.CallId, earlier.RejectedBy, earlier.Reason, earlier.Repeat);
            }
        }

        if (judgement.Repeats is not null)
        {
            judgement.Hold = judgement.Verdicts.Any(v => v.Kind == PolicyVerdictKind.RequireApproval);
            judgement.Deny = true;
        }
    }

    /// <summary>
    /// When a repeat of the batch reached the limit, records the batch's repeats (nothing else of it ran or was held) and throws
    /// the stop; otherwise does nothing.
    /// </summary>
    /// <exception cref="RejectedCallRepeatedException">A repeat reached the limit.</exception>
    public static async ValueTask StopIfLimitReachedAsync(
        IReadOnlyList<PolicyEvaluationContext> calls, BatchJudgement judgement, CallRecorder? recorder, CancellationToken cancellationToken)
    {
        if (judgement.Stop is not { } stop)
        {
            return;
        }

        if (recorder is not null)
        {
            int[] repeats = judgement.RepeatIndices();
            await recorder.RecordAsync([.. repeats.Select(i => calls[i])], judgement.Select(repeats), cancellationToken);
        }

        throw stop;
    }

    /// <summary>
    /// The rejection a call repeats: the newest person's decision on an equal call in the conversation, if that is a rejection that
    /// did not ask to be asked again. A later approval of the same call, or a waiting one, ends the rejection's hold.
    /// </summary>
    private static (string ApprovalId, string CallId)? Find(List<(PendingApproval Approval, PendingToolCall Call)> decided, PolicyEvaluationContext call)
    {
        foreach ((PendingApproval approval, PendingToolCall earlier) in decided)
        {
            if (string.Equals(earlier.ToolName, call.ToolName, StringComparison.Ordinal) && CanonicalJson.SemanticallyEqual(earlier.Arguments, call.Arguments))
            {
                return earlier.Decision == CallDecisionStatus.Rejected && !earlier.AskAgainIfRepeated ? (approval.Id, earlier.CallId) : null;
            }
        }

        return null;
    }

    /// <summary>Every call of the conversation a person was asked about (answered repeats excluded), newest decision first.</summary>
    private async Task<List<(PendingApproval, PendingToolCall)>> ListPersonDecisionsAsync(string conversation, CancellationToken cancellationToken)
    {
        List<(PendingApproval, PendingToolCall)> decided = [];
        // The guard compares calls and decisions: the conversations of the earlier approvals stay in the store.
        StateQuery query = new() { ConversationId = conversation, PageSize = 200, IncludeHistory = false };
        do
        {
            ApprovalPage page = await records.ListAsync(query, cancellationToken);
            foreach (PendingApproval approval in page.Approvals)
            {
                foreach (PendingToolCall call in approval.Calls)
                {
                    if (call.RepeatOf is null && call.Decision is CallDecisionStatus.Rejected or CallDecisionStatus.Approved or CallDecisionStatus.AwaitingApproval)
                    {
                        decided.Add((approval, call));
                    }
                }
            }

            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);

        // Newest decision first (a call still waiting counts from when it was held); the listing's order breaks ties.
        return [.. decided.OrderByDescending(d => d.Item2.DecidedAt ?? d.Item1.CreatedAt)];
    }

    /// <summary>Counts one more repeat on the rejected call and records it in its approval's audit trail (one compare-and-swap).</summary>
    /// <remarks>
    /// An approval a resume has claimed is not written: a resume in this process counts the repeat and records it when it ends
    /// (<see cref="ResumingRepeats"/>); one claimed elsewhere is answered with its rejection, but the repeat is not counted there.
    /// </remarks>
    private async Task<EarlierRejection> CountAsync(string approvalId, string callId, PolicyEvaluationContext repeat, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            PendingApproval approval = await records.LoadWithoutHistoryAsync(approvalId, cancellationToken);
            PendingToolCall rejected = approval.FindCall(callId) ?? throw new ApprovalNotFoundException(approvalId, callId);
            if (approval.Status == ApprovalStatus.Executing)
            {
                int count = resuming.TryCount(approvalId, rejected, repeat, out int counted) ? counted : rejected.Repeats + 1;
                return new EarlierRejection(approvalId, callId, rejected.DecidedBy, rejected.DecisionReason, count, count >= limit);
            }

            bool stop = Count(records, approval, rejected, repeat.CallId, repeat.Arguments, limit);
            if (await records.TrySaveAsync(approval, cancellationToken))
            {
                return new EarlierRejection(approvalId, callId, rejected.DecidedBy, rejected.DecisionReason, rejected.Repeats, stop);
            }
        }

        throw await records.ConcurrentChangeAsync(approvalId, cancellationToken);
    }

    /// <summary>Counts one more repeat on <paramref name="rejected"/> and audits it, to be saved with the approval; returns whether it reached the limit.</summary>
    public static bool Count(ApprovalRecords records, PendingApproval approval, PendingToolCall rejected, string repeatCallId, System.Text.Json.JsonElement arguments, int limit)
    {
        rejected.Repeats++;
        bool stop = rejected.Repeats >= limit;
        records.Audit(approval, stop ? ApprovalAuditEvent.RepeatLimitReached : ApprovalAuditEvent.RepeatAnswered, Actor, rejected, rejected.Fingerprint, arguments,
            stop
                ? $"Proposed again as call '{repeatCallId}' (repeat {rejected.Repeats} of at most {limit}): the conversation was stopped; nothing ran."
                : $"Proposed again as call '{repeatCallId}' (repeat {rejected.Repeats}; the conversation stops at {limit}): answered with this rejection, not run, nobody asked.");
        return stop;
    }
}
