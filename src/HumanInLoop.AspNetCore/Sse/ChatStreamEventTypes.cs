namespace HumanInLoop.AspNetCore;

/// <summary>The SSE event names a chat stream uses (the <c>event:</c> field).</summary>
public static class ChatStreamEventTypes
{
    /// <summary>A piece of the assistant's text: <see cref="TextDeltaEvent"/>.</summary>
    public const string Text = "text";

    /// <summary>The model called a tool that is allowed to run: <see cref="ToolCallEvent"/>.</summary>
    public const string ToolCall = "tool_call";

    /// <summary>A tool's result, or the answer given in its place: <see cref="ToolResultEvent"/>.</summary>
    public const string ToolResult = "tool_result";

    /// <summary>The conversation paused for a person's decision; the stream ends: <see cref="ApprovalRequiredEvent"/>.</summary>
    public const string ApprovalRequired = "approval_required";

    /// <summary>The answer is complete; the stream ends: <see cref="DoneEvent"/>.</summary>
    public const string Done = "done";

    /// <summary>The request failed; the stream ends: <see cref="ErrorEvent"/>.</summary>
    public const string Error = "error";
}
