namespace HumanInLoop.Internal;

/// <summary>
/// Judges a batch of calls: the active policies decide; a standing grant may allow a call they would put to a person; calls that
/// cannot be stored for review are denied; a call that repeats a person's rejection in the conversation is answered with it
/// (<see cref="RetryGuard"/>); shadow policies are evaluated beside, recorded and never acted on.
/// </summary>
internal sealed class CallJudge(PolicyEvaluator active, PolicyEvaluator? shadow, GrantMatcher? grants, RetryGuard? repeats)
{
    private RecordedVerdict? _lastRecorded; // read and replaced without a lock: any thread may see an older one, which is as good

    public PolicyEvaluator Active => active;

    public async ValueTask<BatchJudgement> JudgeAsync(IReadOnlyList<PolicyEvaluationContext> calls, CancellationToken cancellationToken)
    {
        BatchJudgement judgement = new(calls.Count);
        for (int i = 0; i < calls.Count; i++)
        {
            (PolicyVerdict verdict, string[] policies, string[] versions) = await active.JudgeAsync(calls[i], cancellationToken);
            judgement.Recorded[i] = Record(verdict, policies, versions);
            judgement.AllOrNothing |= verdict.AllOrNothingBatch;
            if (verdict.Kind == PolicyVerdictKind.RequireApproval && grants is not null &&
                await grants.FindAsync(calls[i], verdict, cancellationToken) is { } grant)
            {
                (judgement.Grants ??= new ApprovalGrant?[calls.Count])[i] = grant;
                verdict = PolicyVerdict.Allow;
            }

            judgement.Verdicts[i] = verdict;
            judgement.Hold |= verdict.Kind == PolicyVerdictKind.RequireApproval;
            judgement.Deny |= verdict.Kind == PolicyVerdictKind.Deny;
        }

        if (judgement.Hold)
        {
            judgement.Hold = false;
            for (int i = 0; i < calls.Count; i++)
            {
                if (judgement.Verdicts[i].Kind != PolicyVerdictKind.Deny && !PolicyEvaluator.CanHold(calls[i], out string reason))
                {
                    judgement.Verdicts[i] = PolicyVerdict.Deny(reason);
                    judgement.Recorded[i] = new RecordedVerdict(PolicyVerdictKind.Deny, reason, ["storage"], policyVersions: judgement.Recorded[i].PolicyVersions);
                    judgement.Deny = true;
                }

                judgement.Hold |= judgement.Verdicts[i].Kind == PolicyVerdictKind.RequireApproval;
            }

            if (judgement.Hold && repeats is not null)
            {
                // Only calls that would go to a person pay the store read, like grants.
                await repeats.AnswerRepeatsAsync(calls, judgement, cancellationToken);
            }
        }

        if (shadow is not null)
        {
            judgement.Shadow = new RecordedVerdict[calls.Count];
            for (int i = 0; i < calls.Count; i++)
            {
                judgement.Shadow[i] = await JudgeShadowAsync(calls[i], cancellationToken);
            }
        }

        return judgement;
    }

    /// <summary>
    /// What is recorded of the active policies' verdict. Calls judged alike (the same verdict, the same policies in force, which the
    /// evaluator shares) share one record of it: it is immutable, and most calls are allowed by the same policy.
    /// </summary>
    private RecordedVerdict Record(PolicyVerdict verdict, string[] policies, string[] versions)
    {
        RecordedVerdict? last = _lastRecorded;
        if (last is not null && last.Kind == verdict.Kind && ReferenceEquals(last.Reason, verdict.Reason) &&
            ReferenceEquals(last.Policies, policies) && ReferenceEquals(last.PolicyVersions, versions))
        {
            return last;
        }

        return _lastRecorded = new RecordedVerdict(verdict.Kind, verdict.Reason, policies, policyVersions: versions);
    }

    /// <summary>Evaluates the shadow policies on one call; a policy that throws is recorded, never rethrown.</summary>
    public async ValueTask<RecordedVerdict> JudgeShadowAsync(PolicyEvaluationContext call, CancellationToken cancellationToken)
    {
        try
        {
            (PolicyVerdict verdict, string[] policies, string[] versions) = await shadow!.JudgeAsync(call, cancellationToken);
            return new RecordedVerdict(verdict.Kind, verdict.Reason, policies, policyVersions: versions);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new RecordedVerdict(PolicyVerdictKind.RequireApproval, null, [], $"{exception.GetType().Name}: {exception.Message}");
        }
    }
}
