using System.Text.Json;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The model called a tool and the call is going ahead (the policies allowed it).</summary>
/// <param name="CallId">The id the model gave the call.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments as a JSON object.</param>
internal sealed record ChatSseToolCallEvent(string CallId, string Name, JsonElement Arguments) : ChatSseEvent
{
    internal override string EventType => ChatSseEventTypes.ToolCall;
}
