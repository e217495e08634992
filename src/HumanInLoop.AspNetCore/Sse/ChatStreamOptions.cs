using Microsoft.Extensions.Logging;

namespace HumanInLoop.AspNetCore;

/// <summary>Settings of <see cref="ChatServerSentEvents.ToServerSentEvents"/>.</summary>
/// <remarks>Read when the stream starts; not thread-safe while being configured.</remarks>
public sealed class ChatStreamOptions
{
    /// <summary>Gets or sets the conversation id named in the <see cref="DoneEvent"/>.</summary>
    public string? ConversationId { get; set; }

    /// <summary>
    /// Gets or sets what runs when the stream ends with an answer, a pause or an error, before the last event is sent, for
    /// example to save the conversation. If it throws, the stream ends with an <see cref="ErrorEvent"/> instead.
    /// Not called when the client goes away before the stream ends; once it has ended, it runs to its end even if the client
    /// goes away meanwhile (the token it is given is not the request's), so what it saves matches what was recorded.
    /// </summary>
    public Func<ChatStreamCompletion, CancellationToken, ValueTask>? OnCompleted { get; set; }

    /// <summary>Gets or sets where unexpected errors are logged before a generic <see cref="ErrorEvent"/> is sent.</summary>
    public ILogger? Logger { get; set; }
}
