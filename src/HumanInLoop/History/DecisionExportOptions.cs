namespace HumanInLoop;

/// <summary>How <see cref="ApprovalHistory.ExportAsync"/> writes recorded decisions.</summary>
public sealed record DecisionExportOptions
{
    /// <summary>Gets the argument names to drop, at any depth, from the exported arguments and edited arguments (for privacy). Compared ordinally.</summary>
    public IReadOnlySet<string> DropArguments { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets whether calls decided without a person (allowed, denied, allowed by a grant) are exported too. The default is <see langword="true"/>.</summary>
    public bool IncludeAutomated { get; init; } = true;
}
