using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using HumanInLoop.AspNetCore.Internal;
using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore;

/// <summary>
/// Turns a streaming chat response into Server-Sent Events for <c>TypedResults.ServerSentEvents(...)</c>: text deltas, tool
/// activity, and exactly one final event: <c>done</c>, <c>approval_required</c> (the gate paused and saved an approval) or <c>error</c>.
/// </summary>
/// <remarks>
/// Usage: <c>return TypedResults.ServerSentEvents(client.GetStreamingResponseAsync(messages, options, ct).ToServerSentEvents(new() { ConversationId = id, Viewer = approverFromUser(http.User) }, ct));</c>
/// (<see cref="ChatSseOptions.Viewer"/>: without it, <c>canDecide</c> is <see langword="false"/> in the event.)
/// A pause is not an error: the gate has saved everything before it throws, so the stream says <c>approval_required</c> and ends,
/// and nothing is kept in server memory. Thread-safe (stateless).
/// </remarks>
public static class ChatSseExtensions
{
    /// <summary>Converts chat updates into SSE items, ending with <c>done</c>, <c>approval_required</c> or <c>error</c>.</summary>
    /// <param name="updates">The streaming response (from the chat pipeline, or <see cref="ApprovalService.ResumeStreamingAsync"/>).</param>
    /// <param name="options">The conversation id and a completion callback; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (the request's abort token).</param>
    /// <returns>The events.</returns>
    public static IAsyncEnumerable<SseItem<ChatSseEvent>> ToServerSentEvents(
        this IAsyncEnumerable<ChatResponseUpdate> updates, ChatSseOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        return ConvertAsync(updates, options ?? new ChatSseOptions(), cancellationToken);
    }

    private static async IAsyncEnumerable<SseItem<ChatSseEvent>> ConvertAsync(
        IAsyncEnumerable<ChatResponseUpdate> updates, ChatSseOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<ChatResponseUpdate> seen = [];
        await using IAsyncEnumerator<ChatResponseUpdate> enumerator = updates.GetAsyncEnumerator(cancellationToken);
        ChatSseEvent? last = null;
        while (last is null)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    string? finishReason = seen.LastOrDefault(u => u.FinishReason is not null)?.FinishReason?.Value;
                    last = await CompleteAsync(options, seen, ChatSseOutcome.Completed, null, null, new ChatSseDoneEvent(options.ConversationId, finishReason));
                    break;
                }

                update = enumerator.Current;
            }
            catch (PendingApprovalException pause)
            {
                last = await CompleteAsync(
                    options, seen, ChatSseOutcome.ApprovalRequired, pause.Approval, null, ChatSseEventFactory.ApprovalRequired(pause.Approval, options.Viewer));
                break;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away: nobody is left to tell.
                yield break;
            }
            catch (Exception exception)
            {
                last = await CompleteAsync(options, seen, ChatSseOutcome.Failed, null, exception, ChatSseEventFactory.Error(exception, options.Logger));
                break;
            }

            seen.Add(update);
            foreach (ChatSseEvent item in ChatSseEventFactory.FromUpdate(update))
            {
                yield return item.ToSseItem();
            }
        }

        yield return last.ToSseItem();
    }

    private static async Task<ChatSseEvent> CompleteAsync(
        ChatSseOptions options, List<ChatResponseUpdate> seen, ChatSseOutcome outcome, PendingApproval? approval, Exception? error, ChatSseEvent final)
    {
        if (options.OnCompleted is not { } onCompleted)
        {
            return final;
        }

        try
        {
            // Not the request's token: the outcome exists now (a resume has already recorded its answer), so the host's record
            // of it is seen through even if the client leaves at this moment, or the two would disagree.
            await onCompleted(new ChatSseCompletedArguments(outcome, seen.ToChatResponse(), approval, error), CancellationToken.None);
            return final;
        }
        catch (Exception exception)
        {
            // Never "done" for something the host failed to save (a cancellation included: none came from the request); after a
            // failure, the original error still ends the stream.
            ChatSseErrorEvent saveFailed = ChatSseEventFactory.Error(exception, options.Logger);
            return outcome == ChatSseOutcome.Failed ? final : saveFailed;
        }
    }
}
