using System.Text.Json;

namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>One chat request a fake server received: the parsed messages, and the raw JSON body for anything else.</summary>
/// <param name="Stream">Whether the client asked for a stream.</param>
/// <param name="Messages">The messages, in order.</param>
/// <param name="ToolNames">The names of the tools offered to the model.</param>
/// <param name="Body">The request body.</param>
public sealed record WireRequest(bool Stream, IReadOnlyList<WireMessage> Messages, IReadOnlyList<string> ToolNames, JsonElement Body)
{
    /// <summary>Gets the last message that is not a tool result: what the model is asked to answer.</summary>
    public WireMessage Last => Messages[^1];
}
