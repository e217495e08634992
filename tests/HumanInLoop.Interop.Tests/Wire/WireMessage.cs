namespace HumanInLoop.Interop.Tests.Wire;

/// <summary>One message of a request as a fake server received it, reduced to what the tests check.</summary>
/// <param name="Role">The wire role: system, user, assistant or tool.</param>
/// <param name="Content">The text content, or <see langword="null"/>.</param>
/// <param name="ToolCalls">The tool calls of an assistant message.</param>
/// <param name="ToolCallId">The call a tool message answers, when the wire format names it.</param>
/// <param name="ToolName">The tool a tool message answers, when the wire format names it (Ollama).</param>
public sealed record WireMessage(string Role, string? Content, IReadOnlyList<WireToolCall> ToolCalls, string? ToolCallId, string? ToolName);
