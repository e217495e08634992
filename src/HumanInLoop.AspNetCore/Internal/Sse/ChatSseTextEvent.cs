namespace HumanInLoop.AspNetCore.Internal;

/// <summary>A piece of the assistant's text, to append to the message named <see cref="MessageId"/>.</summary>
/// <param name="Text">The text to append.</param>
/// <param name="MessageId">The id of the message it belongs to, if the model gave one.</param>
internal sealed record ChatSseTextEvent(string Text, string? MessageId) : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.Text;
}
