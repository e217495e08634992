namespace HumanInLoop;

/// <summary>
/// How far a team has automated: for a window of recorded calls, what the policies decided, what people decided and how fast,
/// in total, per tool and per policy, and how shadow policies agreed. Made by <see cref="ApprovalHistory.ReportAsync"/> from
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

    /// <summary>Gets how the shadow policies agreed with the active ones.</summary>
    public required ShadowAgreement Shadow { get; init; }

    /// <summary>Gets the approvals that could not be read (malformed, or their audit chain broken) and were left out.</summary>
    public IReadOnlyList<string> UnreadableApprovals { get; init; } = [];
}
