using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SseChat.Chat;

/// <summary>
/// The chat pipeline as a resume uses it, with the text of the streamed answer also sent to the conversation's open pages
/// (<see cref="ConversationEvents.Text"/>), so the requester watches the answer come in while an approver's console resumes it.
/// Only shown, never trusted: the page reads the saved conversation when the resume ends.
/// </summary>
internal sealed class MirroringChatClient(IChatClient inner, ConversationEvents events, string conversationId, string? origin) : DelegatingChatClient(inner)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            if (update.Role != ChatRole.Tool && update.Text is { Length: > 0 } text)
            {
                events.Text(conversationId, origin, update.MessageId, text);
            }

            yield return update;
        }
    }
}
