namespace HumanInLoop;

/// <summary>Which recorded calls <see cref="ApprovalHistory"/> reads: a time window, and optionally one tenant, tool or policy version.</summary>
public sealed record HistoryQuery
{
    /// <summary>Gets the earliest moment a call was seen (inclusive), or <see langword="null"/> for no lower bound.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Gets the moment to stop before (exclusive), or <see langword="null"/> for no upper bound.</summary>
    public DateTimeOffset? Before { get; init; }

    /// <summary>Gets the only tenant to read, or <see langword="null"/> for every tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the only tool to read, or <see langword="null"/> for every tool.</summary>
    public string? ToolName { get; init; }

    /// <summary>
    /// Gets the only version of the rules to read: calls whose active verdict names it among <see cref="RecordedVerdict.PolicyVersions"/>
    /// (compared ordinally), or <see langword="null"/> for every call, with or without versions.
    /// </summary>
    public string? PolicyVersion { get; init; }

    internal bool Includes(RecordedCall call) =>
        (From is null || call.SeenAt >= From) && (Before is null || call.SeenAt < Before) &&
        (TenantId is null || call.Context.TenantId == TenantId) && (ToolName is null || call.ToolName == ToolName) &&
        (PolicyVersion is null || call.Verdict.PolicyVersions.Contains(PolicyVersion, StringComparer.Ordinal));
}
