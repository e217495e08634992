using Microsoft.AspNetCore.Http.Features;

namespace SseChat.Chat;

/// <summary>
/// <c>GET /chat/{conversationId}/events</c>: Server-Sent Events for the owner's open chat page (an <c>EventSource</c>), one
/// <c>event: changed</c> per change of the conversation or of its approval, and <c>event: text</c> for each piece of an answer
/// that a resume elsewhere is streaming (<see cref="ConversationEvents"/>).
/// </summary>
internal static class ConversationEventsEndpoint
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(string conversationId, HttpContext http, ConversationStore conversations, ConversationEvents events, CancellationToken cancellationToken)
    {
        // Subscribed before the owner check reads the store, so nothing saved in between is missed.
        using ConversationEvents.Subscription subscription = events.Subscribe(conversationId);
        if (await conversations.GetAsync(conversationId, cancellationToken) is not { } conversation || conversation.Owner != http.User.Identity!.Name)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await WriteAsync(http, "retry: 2000\n: connected\n\n", cancellationToken);
            while (true)
            {
                using CancellationTokenSource wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Heartbeat);
                ConversationChange change;
                try
                {
                    change = await subscription.Changes.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await WriteAsync(http, ": heartbeat\n\n", cancellationToken);
                    continue;
                }

                await WriteAsync(http, $"event: {change.EventName}\ndata: {change.ToJson()}\n\n", cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page closed or the host is stopping.
        }
        catch (IOException)
        {
            // The connection dropped; EventSource reconnects by itself and the page reads the conversation again.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
