namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The answer is complete. The last event of its stream.</summary>
/// <param name="ConversationId">The conversation, when the host named it.</param>
/// <param name="FinishReason">Why the model stopped (<c>stop</c>, <c>length</c>, ...), if it said.</param>
internal sealed record ChatSseDoneEvent(string? ConversationId, string? FinishReason) : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.Done;
}
