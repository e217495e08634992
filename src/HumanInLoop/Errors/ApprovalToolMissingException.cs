namespace HumanInLoop;

/// <summary>
/// A resume needs tools that were not supplied: an approved (or harmless) call of the approval names a tool that the tools
/// passed to the resume do not hold, for example because an MCP server no longer offers it. Nothing ran and nothing changed:
/// the approval stays <see cref="ApprovalStatus.Decided"/>, so it can be resumed when the tool is offered again, or withdrawn
/// with <see cref="ApprovalService.CancelAsync"/>.
/// </summary>
public sealed class ApprovalToolMissingException : ApprovalException
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalToolMissingException"/> class.</summary>
    /// <param name="approvalId">The approval that could not be resumed.</param>
    /// <param name="toolNames">The names of the missing tools.</param>
    public ApprovalToolMissingException(string approvalId, IReadOnlyList<string> toolNames)
        : base(approvalId, null, Describe(approvalId, toolNames))
    {
        ToolNames = [.. toolNames];
    }

    /// <summary>Gets the names of the tools the resume needs and was not given, in the order of the calls.</summary>
    public IReadOnlyList<string> ToolNames { get; }

    private static string Describe(string approvalId, IReadOnlyList<string> toolNames)
    {
        ArgumentNullException.ThrowIfNull(toolNames);
        return $"Approval '{approvalId}' needs the tool{(toolNames.Count == 1 ? "" : "s")} {string.Join(", ", toolNames.Select(n => $"'{n}'"))} to resume, " +
            "but the tools supplied have no AIFunction of that name; nothing ran and the approval is unchanged. Supply the same tools the " +
            "conversation used (for an MCP server: list its tools again), or withdraw the approval with CancelAsync if the tool is gone for good.";
    }
}
