using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop.AspNetCore;

/// <summary>The model called a tool and the call is going ahead (the policies allowed it).</summary>
/// <param name="CallId">The id the model gave the call.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments as a JSON object.</param>
public sealed record ToolCallEvent(string CallId, string Name, JsonElement Arguments) : ChatStreamEvent
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string EventType => ChatStreamEventTypes.ToolCall;
}
