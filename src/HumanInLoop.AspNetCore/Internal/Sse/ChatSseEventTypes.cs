namespace HumanInLoop.AspNetCore.Internal;

/// <summary>The SSE event names a chat stream uses (the <c>event:</c> field). Part of the wire format: the browser reads them.</summary>
internal static class ChatSseEventTypes
{
    /// <summary>A piece of the assistant's text: <see cref="ChatSseTextEvent"/>.</summary>
    public const string Text = "text";

    /// <summary>The model called a tool that is allowed to run: <see cref="ChatSseToolCallEvent"/>.</summary>
    public const string ToolCall = "tool_call";

    /// <summary>A tool's result, or the answer given in its place: <see cref="ChatSseToolResultEvent"/>.</summary>
    public const string ToolResult = "tool_result";

    /// <summary>The conversation paused for a person's decision; the stream ends: <see cref="ChatSseApprovalRequiredEvent"/>.</summary>
    public const string ApprovalRequired = "approval_required";

    /// <summary>The answer is complete; the stream ends: <see cref="ChatSseDoneEvent"/>.</summary>
    public const string Done = "done";

    /// <summary>The request failed; the stream ends: <see cref="ChatSseErrorEvent"/>.</summary>
    public const string Error = "error";
}
