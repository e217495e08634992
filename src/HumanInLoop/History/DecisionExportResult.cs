namespace HumanInLoop;

/// <summary>What <see cref="ApprovalHistory.ExportAsync"/> wrote, and where the audit chain did not hold.</summary>
/// <param name="Exported">How many records (lines) were written.</param>
/// <param name="Unreadable">The approvals left out because they could not be read or their audit chain is broken; empty when every chain held.</param>
public sealed record DecisionExportResult(long Exported, IReadOnlyList<UnreadableApproval> Unreadable)
{
    /// <summary>Gets whether every approval's audit chain held.</summary>
    public bool ChainsIntact => Unreadable.Count == 0;
}
