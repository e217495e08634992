namespace HumanInLoop;

/// <summary>
/// How far a team has automated: for a window of recorded calls, what the policies decided, what people decided and how fast,
/// in total, per tool, per policy and per version of the rules, and how shadow policies agreed. Made by <see cref="ApprovalHistory.ReportAsync"/> from
/// the stored records, not from counters in memory.
/// </summary>
public sealed record AutomationReport
{
    /// <summary>Gets the query the report covers.</summary>
    public required HistoryQuery Query { get; init; }

    /// <summary>Gets the figures for every call in the window.</summary>
    public required AutomationFigures Total { get; init; }

    /// <summary>Gets the figures per tool.</summary>
    public required IReadOnlyDictionary<string, AutomationFigures> ByTool { get; init; }

    /// <summary>Gets the figures per policy (<see cref="IApprovalPolicy.Name"/>) that decided the calls; a call decided by two policies counts under both.</summary>
    public required IReadOnlyDictionary<string, AutomationFigures> ByPolicy { get; init; }

    /// <summary>
    /// Gets the figures per version of the rules in force (<see cref="RecordedVerdict.PolicyVersions"/>) when the calls were judged;
    /// a call judged under several versions (the host's label and a rule set's, say) counts under each. Calls that name no version
    /// are counted in <see cref="Total"/> only.
    /// </summary>
    public IReadOnlyDictionary<string, AutomationFigures> ByPolicyVersion { get; init; } = new Dictionary<string, AutomationFigures>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the figures per day the calls were seen (<see cref="RecordedCall.SeenAt"/> as a UTC date), oldest first; days without
    /// calls are absent. Shows how automation moved over time; sum the days for longer periods (the percentiles do not sum).
    /// </summary>
    public IReadOnlyDictionary<DateOnly, AutomationFigures> ByDay { get; init; } = new Dictionary<DateOnly, AutomationFigures>();

    /// <summary>Gets how the shadow policies agreed with the active ones.</summary>
    public required ShadowAgreement Shadow { get; init; }

    /// <summary>Gets the approvals that could not be read (malformed, or their audit chain broken) and were left out.</summary>
    public IReadOnlyList<string> UnreadableApprovals { get; init; } = [];
}
