using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>Makes the events of a chat stream from chat updates, a pause and errors. Stateless; thread-safe.</summary>
internal static class ChatSseEventFactory
{
    /// <summary>Makes the events one update carries: text deltas, tool calls and tool results, in order; none for contents not shown (usage, reasoning, ...).</summary>
    public static IEnumerable<ChatSseEvent> FromUpdate(ChatResponseUpdate update)
    {
        foreach (AIContent content in update.Contents)
        {
            switch (content)
            {
                case TextContent { Text.Length: > 0 } text:
                    yield return new ChatSseTextEvent(text.Text, update.MessageId);
                    break;
                case FunctionCallContent call when !call.InformationalOnly:
                    yield return new ChatSseToolCallEvent(call.CallId, call.Name, ToJson(call.Arguments ?? new Dictionary<string, object?>()));
                    break;
                case FunctionResultContent result:
                    yield return new ChatSseToolResultEvent(result.CallId, ToJson(result.Result));
                    break;
            }
        }
    }

    /// <summary>
    /// Makes the event that tells a client the conversation paused on <paramref name="approval"/>; each call says whether
    /// <paramref name="viewer"/> may decide it, as the inbox says it.
    /// </summary>
    public static ChatSseApprovalRequiredEvent ApprovalRequired(PendingApproval approval, Approver? viewer) =>
        new(approval.Id, approval.Context.ConversationId, approval.ExpiresAt, ApprovalViews.Calls(approval, viewer));

    /// <summary>Makes the error event for <paramref name="exception"/>: HumanInLoop's typed errors keep their status and message; others are logged and sent as a generic 500.</summary>
    public static ChatSseErrorEvent Error(Exception exception, ILogger? logger)
    {
        bool mapped = ApprovalProblems.TryMap(exception, out int status, out string title);
        string? detail = mapped ? ApprovalProblems.PublicDetail(exception) : null;
        if (detail is null && logger is not null)
        {
            // What the caller is not shown is logged for the operator.
            Log.StreamFailed(logger, exception);
        }

        return mapped ? new ChatSseErrorEvent(status, title, detail) : new ChatSseErrorEvent(500, "The assistant failed.", null);
    }

    private static JsonElement ToJson(object? value)
    {
        if (value is JsonElement element)
        {
            return element;
        }

        try
        {
            return JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            return JsonSerializer.SerializeToElement(value?.ToString(), AIJsonUtilities.DefaultOptions);
        }
    }
}
