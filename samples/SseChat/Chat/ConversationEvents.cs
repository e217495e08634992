using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using HumanInLoop;

namespace SseChat.Chat;

/// <summary>
/// Tells the open chat pages of a conversation that it changed, so a page waiting for an approval shows the answer when the
/// approval is decided and resumed elsewhere (the approver's console, the inbox) without a reload. Two sources: every saved
/// change of an approval (as an <see cref="IApprovalNotifier"/>, for its conversation), and every save of the conversation
/// itself (after an answer or a resume, from <see cref="ChatEndpoints"/>). An event carries ids and a status only; the page
/// reads the conversation again through its normal, authorized endpoint. In-memory, this process only: a page that was
/// disconnected reads the conversation again when its stream reconnects. Returns at once; a slow page loses old events, never
/// blocks a decision. Thread-safe.
/// </summary>
internal sealed class ConversationEvents : IApprovalNotifier
{
    private const int QueuedPerPage = 256;
    private readonly ConcurrentDictionary<Channel<ConversationChange>, string> _pages = new();

    public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
    {
        if (notification.Approval.Context.ConversationId is { } conversationId)
        {
            Publish(new ConversationChange(conversationId, "approval", notification.Approval.Id, notification.Approval.Status.ToString(), null));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>After the conversation was saved: <paramref name="origin"/> is the page whose request saved it, if it named itself.</summary>
    public void Saved(string conversationId, string? origin) => Publish(new ConversationChange(conversationId, "saved", null, null, origin));

    /// <summary>A piece of the answer a resume is streaming, for the owner's other pages to show as it comes (the save follows).</summary>
    public void Text(string conversationId, string? origin, string? messageId, string text) =>
        Publish(new ConversationChange(conversationId, "text", null, null, origin) { MessageId = messageId, Text = text });

    /// <summary>Starts receiving the changes of one conversation (its owner is checked by the caller); dispose to stop.</summary>
    public Subscription Subscribe(string conversationId)
    {
        Channel<ConversationChange> channel = Channel.CreateBounded<ConversationChange>(
            new BoundedChannelOptions(QueuedPerPage) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _pages[channel] = conversationId;
        return new Subscription(this, channel);
    }

    private void Publish(ConversationChange change)
    {
        foreach ((Channel<ConversationChange> page, string conversationId) in _pages)
        {
            if (string.Equals(conversationId, change.ConversationId, StringComparison.Ordinal))
            {
                page.Writer.TryWrite(change);
            }
        }
    }

    /// <summary>One open page's queue of changes.</summary>
    internal sealed class Subscription(ConversationEvents events, Channel<ConversationChange> channel) : IDisposable
    {
        public ChannelReader<ConversationChange> Changes => channel.Reader;

        public void Dispose()
        {
            events._pages.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        }
    }
}

/// <summary>What changed: <c>approval</c> (its id and new status) or <c>saved</c> (the conversation, by the page <c>origin</c> if known).</summary>
internal sealed record ConversationChange(string ConversationId, string Reason, string? ApprovalId, string? Status, string? Origin)
{
    /// <summary>For <c>text</c>: the streamed message's id.</summary>
    public string? MessageId { get; init; }

    /// <summary>For <c>text</c>: the piece of the answer.</summary>
    public string? Text { get; init; }

    /// <summary>The SSE event name: <c>text</c> for a piece of a streamed answer, else <c>changed</c>.</summary>
    public string EventName => Reason == "text" ? "text" : "changed";

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["conversationId"] = ConversationId,
        ["reason"] = Reason,
        ["approvalId"] = ApprovalId,
        ["status"] = Status,
        ["origin"] = Origin,
        ["messageId"] = MessageId,
        ["text"] = Text,
    });
}
