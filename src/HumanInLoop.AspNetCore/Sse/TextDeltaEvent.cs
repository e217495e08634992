using System.Text.Json.Serialization;

namespace HumanInLoop.AspNetCore;

/// <summary>A piece of the assistant's text, to append to the message named <see cref="MessageId"/>.</summary>
/// <param name="Text">The text to append.</param>
/// <param name="MessageId">The id of the message it belongs to, if the model gave one.</param>
public sealed record TextDeltaEvent(string Text, string? MessageId) : ChatStreamEvent
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string EventType => ChatStreamEventTypes.Text;
}
