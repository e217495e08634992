using System.Net.ServerSentEvents;
using System.Text.Json.Serialization;
using HumanInLoop.AspNetCore.Internal;

namespace HumanInLoop.AspNetCore;

/// <summary>
/// One Server-Sent Event of a chat stream made by <see cref="ChatSseExtensions.ToServerSentEvents"/>: the type to name in a
/// handler's result, <c>ServerSentEventsResult&lt;ChatSseEvent&gt;</c>.
/// </summary>
/// <remarks>
/// Hosts pass these events on; they neither make nor read them. On the wire, the SSE <c>event:</c> field is one of
/// <c>text</c>, <c>tool_call</c>, <c>tool_result</c>, then exactly one of <c>done</c>, <c>approval_required</c> or
/// <c>error</c>; the <c>data:</c> field is the event as JSON (camelCase with the web defaults), as docs/hosting-aspnetcore.md
/// describes. Instances are immutable.
/// </remarks>
[JsonDerivedType(typeof(ChatSseTextEvent))]
[JsonDerivedType(typeof(ChatSseToolCallEvent))]
[JsonDerivedType(typeof(ChatSseToolResultEvent))]
[JsonDerivedType(typeof(ChatSseApprovalRequiredEvent))]
[JsonDerivedType(typeof(ChatSseDoneEvent))]
[JsonDerivedType(typeof(ChatSseErrorEvent))]
public abstract record ChatSseEvent
{
    private protected ChatSseEvent()
    {
    }

    /// <summary>Gets the SSE event name: one of the constants of <see cref="ChatSseEventTypes"/>.</summary>
    internal abstract string EventType { get; }

    /// <summary>Wraps this event in an <see cref="SseItem{T}"/> named <see cref="EventType"/>.</summary>
    /// <returns>The item to write.</returns>
    internal SseItem<ChatSseEvent> ToSseItem() => new(this, EventType);
}
