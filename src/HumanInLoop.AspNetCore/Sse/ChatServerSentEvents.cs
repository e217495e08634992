using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore;

/// <summary>
/// Turns a streaming chat response into Server-Sent Events for <c>TypedResults.ServerSentEvents(...)</c>: text deltas, tool
/// activity, and exactly one final event: <c>done</c>, <c>approval_required</c> (the gate paused and saved an approval) or <c>error</c>.
/// </summary>
/// <remarks>
/// Usage: <c>return TypedResults.ServerSentEvents(client.GetStreamingResponseAsync(messages, options, ct).ToServerSentEvents(new() { ConversationId = id }, ct));</c>
/// A pause is not an error: the gate has saved everything before it throws, so the stream says <c>approval_required</c> and ends,
/// and nothing is kept in server memory. Thread-safe (stateless).
/// </remarks>
public static class ChatServerSentEvents
{
    /// <summary>Converts chat updates into SSE items, ending with <c>done</c>, <c>approval_required</c> or <c>error</c>.</summary>
    /// <param name="updates">The streaming response (from the chat pipeline, or <see cref="ApprovalService.ResumeStreamingAsync"/>).</param>
    /// <param name="options">The conversation id and a completion callback; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (the request's abort token).</param>
    /// <returns>The events.</returns>
    public static IAsyncEnumerable<SseItem<ChatStreamEvent>> ToServerSentEvents(
        this IAsyncEnumerable<ChatResponseUpdate> updates, ChatStreamOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        return ConvertAsync(updates, options ?? new ChatStreamOptions(), cancellationToken);
    }

    /// <summary>Makes the event that tells a client the conversation paused on <paramref name="approval"/>.</summary>
    /// <param name="approval">The saved approval (from <see cref="PendingApprovalException.Approval"/>).</param>
    /// <returns>The event.</returns>
    public static ApprovalRequiredEvent CreateApprovalRequired(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return new ApprovalRequiredEvent(approval.Id, approval.Context.ConversationId, approval.ExpiresAt, ApprovalViews.Calls(approval, null));
    }

    /// <summary>Makes the events one update carries: text deltas, tool calls and tool results, in order.</summary>
    /// <param name="update">The update.</param>
    /// <returns>The events; none for contents that are not shown (usage, reasoning, ...).</returns>
    public static IEnumerable<ChatStreamEvent> CreateEvents(ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        foreach (AIContent content in update.Contents)
        {
            switch (content)
            {
                case TextContent { Text.Length: > 0 } text:
                    yield return new TextDeltaEvent(text.Text, update.MessageId);
                    break;
                case FunctionCallContent call when !call.InformationalOnly:
                    yield return new ToolCallEvent(call.CallId, call.Name, ToJson(call.Arguments ?? new Dictionary<string, object?>()));
                    break;
                case FunctionResultContent result:
                    yield return new ToolResultEvent(result.CallId, ToJson(result.Result));
                    break;
            }
        }
    }

    private static async IAsyncEnumerable<SseItem<ChatStreamEvent>> ConvertAsync(
        IAsyncEnumerable<ChatResponseUpdate> updates, ChatStreamOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<ChatResponseUpdate> seen = [];
        await using IAsyncEnumerator<ChatResponseUpdate> enumerator = updates.GetAsyncEnumerator(cancellationToken);
        ChatStreamEvent? last = null;
        while (last is null)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    string? finishReason = seen.LastOrDefault(u => u.FinishReason is not null)?.FinishReason?.Value;
                    last = await CompleteAsync(options, seen, ChatStreamOutcome.Completed, null, null, new DoneEvent(options.ConversationId, finishReason));
                    break;
                }

                update = enumerator.Current;
            }
            catch (PendingApprovalException pause)
            {
                last = await CompleteAsync(options, seen, ChatStreamOutcome.ApprovalRequired, pause.Approval, null, CreateApprovalRequired(pause.Approval));
                break;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away: nobody is left to tell.
                yield break;
            }
            catch (Exception exception)
            {
                last = await CompleteAsync(options, seen, ChatStreamOutcome.Failed, null, exception, ToErrorEvent(exception, options));
                break;
            }

            seen.Add(update);
            foreach (ChatStreamEvent item in CreateEvents(update))
            {
                yield return item.ToSseItem();
            }
        }

        yield return last.ToSseItem();
    }

    private static async Task<ChatStreamEvent> CompleteAsync(
        ChatStreamOptions options, List<ChatResponseUpdate> seen, ChatStreamOutcome outcome, PendingApproval? approval, Exception? error,
        ChatStreamEvent final)
    {
        if (options.OnCompleted is not { } onCompleted)
        {
            return final;
        }

        try
        {
            // Not the request's token: the outcome exists now (a resume has already recorded its answer), so the host's record
            // of it is seen through even if the client leaves at this moment, or the two would disagree.
            await onCompleted(new ChatStreamCompletion(outcome, seen.ToChatResponse(), approval, error), CancellationToken.None);
            return final;
        }
        catch (Exception exception)
        {
            // Never "done" for something the host failed to save (a cancellation included: none came from the request); after a
            // failure, the original error still ends the stream.
            ErrorEvent saveFailed = ToErrorEvent(exception, options);
            return outcome == ChatStreamOutcome.Failed ? final : saveFailed;
        }
    }

    internal static ErrorEvent ToErrorEvent(Exception exception, ChatStreamOptions options)
    {
        bool mapped = ApprovalProblems.TryMap(exception, out int status, out string title);
        string? detail = mapped ? ApprovalProblems.PublicDetail(exception) : null;
        if (detail is null && options.Logger is { } logger)
        {
            // What the caller is not shown is logged for the operator.
            Log.StreamFailed(logger, exception);
        }

        return mapped ? new ErrorEvent(status, title, detail) : new ErrorEvent(500, "The assistant failed.", null);
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
