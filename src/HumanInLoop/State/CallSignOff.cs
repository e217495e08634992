namespace HumanInLoop;

/// <summary>One person's approval of a call that needs several (<see cref="PendingToolCall.RequiredApprovals"/>).</summary>
/// <param name="ApproverId">Who approved.</param>
/// <param name="ApprovedAt">When (UTC).</param>
/// <param name="Reason">Their comment, if any.</param>
public sealed record CallSignOff(string ApproverId, DateTimeOffset ApprovedAt, string? Reason);
