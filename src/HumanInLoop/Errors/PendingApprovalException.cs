namespace HumanInLoop;

/// <summary>
/// Thrown by the approval gate when one or more calls of a model response need a person's decision. Nothing of the
/// batch ran; <see cref="Approval"/> has been saved to the <see cref="IStateStore"/> before this was thrown.
/// </summary>
/// <remarks>This is a pause, not a failure: catch it, show <see cref="Approval"/>, and later resume by its id.</remarks>
public sealed class PendingApprovalException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PendingApprovalException"/> class.</summary>
    /// <param name="approval">The saved approval.</param>
    public PendingApprovalException(PendingApproval approval)
        : base(CreateMessage(approval))
    {
        Approval = approval;
    }

    /// <summary>Gets the saved approval: its id, the calls waiting and why.</summary>
    public PendingApproval Approval { get; }

    private static string CreateMessage(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        string tools = string.Join(", ", approval.AwaitingApproval.Select(c => c.ToolName));
        return $"Tool calls need a person's decision before they can run ({tools}). Approval '{approval.Id}' was saved; decide and resume it by id.";
    }
}
