namespace HumanInLoop.Internal;

/// <summary>Evaluates a candidate policy set over recorded calls, one at a time, and counts what it would have done.</summary>
internal sealed class PolicyReplayer(PolicyEvaluator candidate, int maxListed)
{
    private readonly List<ReplayFinding> _falseApprovals = [];
    private readonly List<ReplayFinding> _needlessAsks = [];
    private readonly List<ReplayFinding> _denials = [];
    private readonly List<ReplayFinding> _errors = [];
    private readonly Dictionary<string, (bool Asked, bool AllApproved)> _tools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _recordedVersions = new(StringComparer.Ordinal);
    private long _calls;
    private long _allow;
    private long _require;
    private long _deny;
    private long _recordedAutomated;
    private long _falseApprovalCount;
    private long _needlessAskCount;
    private long _errorCount;

    public long Replayed => _calls;

    public long FalseApprovalCount => _falseApprovalCount;

    public async ValueTask AddAsync(RecordedCall call, CancellationToken cancellationToken)
    {
        RecordedVerdict verdict;
        try
        {
            PolicyEvaluationContext context = new(call.ToolName, call.CallId, null, call.Arguments, call.Context, new LazyMessages(call)) { RecordedAt = call.SeenAt };
            (PolicyVerdict result, string[] policies, string[] versions) = await candidate.JudgeAsync(context, cancellationToken);
            verdict = new RecordedVerdict(result.Kind, result.Reason, policies, policyVersions: versions);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Fails closed: the call counts as put to a person (live, a throwing active policy stops the request and nothing runs).
            verdict = new RecordedVerdict(PolicyVerdictKind.RequireApproval, null, [], $"{exception.GetType().Name}: {exception.Message}");
            _errorCount++;
            Keep(_errors, call, verdict);
        }

        call.MessageLoader = null; // findings keep the call, not its conversation
        _calls++;
        foreach (string version in call.Verdict.PolicyVersions.Distinct(StringComparer.Ordinal))
        {
            _recordedVersions[version] = _recordedVersions.GetValueOrDefault(version) + 1;
        }

        _recordedAutomated += call.IsAutomated ? 1 : 0;
        bool personDecided = call.Outcome is CallOutcome.Approved or CallOutcome.Edited or CallOutcome.Rejected or CallOutcome.Responded;
        switch (verdict.Kind)
        {
            case PolicyVerdictKind.Allow:
                _allow++;
                // A person who answered in place of the tool did not let it run: allowing it would have run what they held back.
                if (call.Outcome is CallOutcome.Rejected or CallOutcome.Edited or CallOutcome.Responded)
                {
                    _falseApprovalCount++;
                    Keep(_falseApprovals, call, verdict);
                }

                break;
            case PolicyVerdictKind.Deny:
                _deny++;
                Keep(_denials, call, verdict);
                break;
            default:
                _require++;
                if (call.Outcome == CallOutcome.Approved)
                {
                    _needlessAskCount++;
                    Keep(_needlessAsks, call, verdict);
                }

                if (personDecided)
                {
                    (bool _, bool allApproved) = _tools.GetValueOrDefault(call.ToolName, (false, true));
                    _tools[call.ToolName] = (true, allApproved && call.Outcome == CallOutcome.Approved);
                }

                break;
        }
    }

    public ReplayReport Build(HistoryQuery query, IReadOnlyList<string> unreadable) => new()
    {
        Query = query,
        Calls = _calls,
        WouldAllow = _allow,
        WouldRequireApproval = _require,
        WouldDeny = _deny,
        RecordedAutomationRate = _calls == 0 ? 0 : (double)_recordedAutomated / _calls,
        FalseApprovalCount = _falseApprovalCount,
        FalseApprovals = _falseApprovals,
        NeedlessAskCount = _needlessAskCount,
        NeedlessAsks = _needlessAsks,
        AlwaysApprovedTools = [.. _tools.Where(t => t.Value.Asked && t.Value.AllApproved).Select(t => t.Key).Order(StringComparer.Ordinal)],
        Denials = _denials,
        ErrorCount = _errorCount,
        Errors = _errors,
        RecordedPolicyVersions = _recordedVersions.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        UnreadableApprovals = unreadable,
    };

    private void Keep(List<ReplayFinding> findings, RecordedCall call, RecordedVerdict verdict)
    {
        if (findings.Count < maxListed)
        {
            findings.Add(new ReplayFinding(call, verdict));
        }
    }
}
