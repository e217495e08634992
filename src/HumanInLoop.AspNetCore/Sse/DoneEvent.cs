using System.Text.Json.Serialization;

namespace HumanInLoop.AspNetCore;

/// <summary>The answer is complete. The last event of its stream.</summary>
/// <param name="ConversationId">The conversation, when the host named it.</param>
/// <param name="FinishReason">Why the model stopped (<c>stop</c>, <c>length</c>, ...), if it said.</param>
public sealed record DoneEvent(string? ConversationId, string? FinishReason) : ChatStreamEvent
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string EventType => ChatStreamEventTypes.Done;
}
