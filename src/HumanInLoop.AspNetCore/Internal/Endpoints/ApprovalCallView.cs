using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One call of an approval as an approver's screen shows it. Post <see cref="Fingerprint"/> back with the decision.</summary>
/// <remarks>Built from a stored <see cref="PendingToolCall"/>; instances are immutable.</remarks>
internal sealed record ApprovalCallView
{
    /// <summary>Gets the id the model gave the call.</summary>
    public required string CallId { get; init; }

    /// <summary>Gets the tool name.</summary>
    public required string ToolName { get; init; }

    /// <summary>Gets the arguments exactly as stored (a JSON object with sorted keys).</summary>
    public required JsonElement Arguments { get; init; }

    /// <summary>Gets the fingerprint of exactly this call; a decision must name it (<see cref="ApprovalDecisionRequest.Fingerprint"/>).</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Gets what was decided: a name of <see cref="CallDecisionStatus"/> (<c>AwaitingApproval</c>, <c>Approved</c>, ...).</summary>
    public required string Decision { get; init; }

    /// <summary>Gets a value indicating whether the call still waits for a person's decision.</summary>
    public bool AwaitingApproval { get; init; }

    /// <summary>Gets the policies' reason: why a person is asked, or why the call was denied.</summary>
    public string? PolicyReason { get; init; }

    /// <summary>Gets the ids or roles that may approve; empty means any authorized approver.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    /// <summary>Gets how many different people must approve the call (2 for a four-eyes rule).</summary>
    public int RequiredApprovals { get; init; } = 1;

    /// <summary>Gets the ids of the people who approved so far, for a call that needs several.</summary>
    public IReadOnlyList<string> ApprovedBy { get; init; } = [];

    /// <summary>Gets who decided, if a person did.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>Gets when a person decided.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Gets the decider's reason or comment.</summary>
    public string? DecisionReason { get; init; }

    /// <summary>Gets the arguments approved in place of the model's, if a person edited them.</summary>
    public JsonElement? ApprovedArguments { get; init; }

    /// <summary>Gets the answer a person gave in place of the tool, for a call whose <see cref="Decision"/> is <c>Responded</c>.</summary>
    public JsonElement? Response { get; init; }

    /// <summary>Gets whether the call has run: a name of <see cref="CallExecutionStatus"/>.</summary>
    public required string Execution { get; init; }

    /// <summary>
    /// Gets a value indicating whether the current user is among <see cref="Approvers"/> for a call that awaits approval.
    /// A hint for the screen; the decision is checked again when posted (self-approval, deadlines, other deciders).
    /// </summary>
    public bool CanDecide { get; init; }
}
