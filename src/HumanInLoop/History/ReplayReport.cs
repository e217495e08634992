namespace HumanInLoop;

/// <summary>
/// What a candidate policy set would have done over recorded calls (<see cref="ApprovalHistory.ReplayAsync"/>). Nothing ran
/// and nothing changed: the candidate was only evaluated on each call's stored arguments and caller.
/// </summary>
/// <remarks>
/// Lists hold at most the number of findings the replay was asked to keep (the counts are complete); the rest is counted only,
/// so a replay of millions of calls keeps its memory bounded.
/// </remarks>
public sealed record ReplayReport
{
    /// <summary>Gets the query the replay covered.</summary>
    public required HistoryQuery Query { get; init; }

    /// <summary>Gets how many recorded calls were evaluated.</summary>
    public long Calls { get; init; }

    /// <summary>Gets how many the candidate would allow.</summary>
    public long WouldAllow { get; init; }

    /// <summary>Gets how many the candidate would send to a person (including those where it threw: it fails closed).</summary>
    public long WouldRequireApproval { get; init; }

    /// <summary>Gets how many the candidate would deny.</summary>
    public long WouldDeny { get; init; }

    /// <summary>Gets the share of calls the candidate would decide without a person, from 0 to 1.</summary>
    public double AutomationRate => Calls == 0 ? 0 : (double)(WouldAllow + WouldDeny) / Calls;

    /// <summary>Gets the share of the same calls that were really decided without a person, to compare.</summary>
    public double RecordedAutomationRate { get; init; }

    /// <summary>Gets how many calls the candidate would allow that a person rejected, edited or answered in place of the tool: the false approvals.</summary>
    public long FalseApprovalCount { get; init; }

    /// <summary>Gets the false approvals, with the reason the person gave (<see cref="RecordedCall.DecisionReason"/>).</summary>
    public IReadOnlyList<ReplayFinding> FalseApprovals { get; init; } = [];

    /// <summary>Gets how many calls the candidate would send to a person that a person approved as proposed.</summary>
    public long NeedlessAskCount { get; init; }

    /// <summary>Gets the calls the candidate would send to a person that a person approved as proposed.</summary>
    public IReadOnlyList<ReplayFinding> NeedlessAsks { get; init; } = [];

    /// <summary>Gets the tools the candidate sends to a person although people approved every decided call of them as proposed: candidates for automation.</summary>
    public IReadOnlyList<string> AlwaysApprovedTools { get; init; } = [];

    /// <summary>Gets the calls the candidate would deny.</summary>
    public IReadOnlyList<ReplayFinding> Denials { get; init; } = [];

    /// <summary>Gets how many evaluations threw; each counts as sending the call to a person, and the replay went on.</summary>
    public long ErrorCount { get; init; }

    /// <summary>Gets the evaluations that threw, with the error.</summary>
    public IReadOnlyList<ReplayFinding> Errors { get; init; } = [];

    /// <summary>
    /// Gets how many of the replayed calls were judged, when recorded, under each version of the rules
    /// (<see cref="RecordedVerdict.PolicyVersions"/> of <see cref="RecordedCall.Verdict"/>): which rules the candidate is compared with.
    /// A call recorded under several versions counts under each; calls recorded without a version are not counted here.
    /// </summary>
    public IReadOnlyDictionary<string, long> RecordedPolicyVersions { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Gets the approvals that could not be read (malformed, or their audit chain broken) and were left out.</summary>
    public IReadOnlyList<string> UnreadableApprovals { get; init; } = [];
}
