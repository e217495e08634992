namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// The conversation paused: the calls of the last model response were saved as an approval and nothing of the batch ran.
/// The last event of its stream. Decide the calls that await approval, then resume by <see cref="ApprovalId"/>.
/// </summary>
/// <param name="ApprovalId">The id of the saved approval.</param>
/// <param name="ConversationId">The conversation it belongs to.</param>
/// <param name="ExpiresAt">The deadline for decisions (UTC).</param>
/// <param name="Calls">Every call of the batch, each with its fingerprint and whether it awaits a person.</param>
internal sealed record ChatSseApprovalRequiredEvent(string ApprovalId, string? ConversationId, DateTimeOffset ExpiresAt, IReadOnlyList<ApprovalCallView> Calls)
    : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.ApprovalRequired;
}
