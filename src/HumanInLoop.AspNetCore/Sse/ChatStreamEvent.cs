using System.Net.ServerSentEvents;
using System.Text.Json.Serialization;

namespace HumanInLoop.AspNetCore;

/// <summary>
/// One Server-Sent Event of a chat stream. The SSE <c>event:</c> field is <see cref="EventType"/>; the <c>data:</c> field
/// is this object as JSON (the derived type's properties, camelCase with the web defaults).
/// </summary>
/// <remarks>
/// A stream is a sequence of <see cref="TextDeltaEvent"/>, <see cref="ToolCallEvent"/> and <see cref="ToolResultEvent"/>
/// ending with exactly one of <see cref="DoneEvent"/>, <see cref="ApprovalRequiredEvent"/> or <see cref="ErrorEvent"/>.
/// Instances are immutable.
/// </remarks>
[JsonDerivedType(typeof(TextDeltaEvent))]
[JsonDerivedType(typeof(ToolCallEvent))]
[JsonDerivedType(typeof(ToolResultEvent))]
[JsonDerivedType(typeof(ApprovalRequiredEvent))]
[JsonDerivedType(typeof(DoneEvent))]
[JsonDerivedType(typeof(ErrorEvent))]
public abstract record ChatStreamEvent
{
    private protected ChatStreamEvent()
    {
    }

    /// <summary>Gets the SSE event name: one of the constants of <see cref="ChatStreamEventTypes"/>.</summary>
    [JsonIgnore]
    public abstract string EventType { get; }

    /// <summary>Wraps this event in an <see cref="SseItem{T}"/> named <see cref="EventType"/>.</summary>
    /// <returns>The item to write.</returns>
    public SseItem<ChatStreamEvent> ToSseItem() => new(this, EventType);
}
