using System.Text.Json;
using System.Text.Json.Serialization;

namespace HumanInLoop.AspNetCore;

/// <summary>A tool's result, or the answer the model was given in its place (rejected, denied, expired).</summary>
/// <param name="CallId">The id of the call answered.</param>
/// <param name="Result">The result as JSON.</param>
public sealed record ToolResultEvent(string CallId, JsonElement Result) : ChatStreamEvent
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string EventType => ChatStreamEventTypes.ToolResult;
}
