using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>A tool's result, or the answer the model was given in its place (rejected, denied, expired).</summary>
/// <param name="CallId">The id of the call answered.</param>
/// <param name="Result">The result as JSON.</param>
internal sealed record ChatSseToolResultEvent(string CallId, JsonElement Result) : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.ToolResult;
}
