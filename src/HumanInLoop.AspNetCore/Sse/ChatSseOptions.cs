using Microsoft.Extensions.Logging;

namespace HumanInLoop.AspNetCore;

/// <summary>Settings of <see cref="ChatSseExtensions.ToServerSentEvents"/>.</summary>
/// <remarks>Read when the stream starts; not thread-safe while being configured.</remarks>
public sealed class ChatSseOptions
{
    /// <summary>Gets or sets the conversation id named in the final <c>done</c> event.</summary>
    public string? ConversationId { get; set; }

    /// <summary>
    /// Gets or sets what runs when the stream ends with an answer, a pause or an error, before the last event is sent, for
    /// example to save the conversation. If it throws, the stream ends with an <c>error</c> event instead.
    /// Not called when the client goes away before the stream ends; once it has ended, it runs to its end even if the client
    /// goes away meanwhile (the token it is given is not the request's), so what it saves matches what was recorded.
    /// </summary>
    public Func<ChatSseCompletedArguments, CancellationToken, ValueTask>? OnCompleted { get; set; }

    /// <summary>
    /// Gets or sets who reads the stream, so that the <c>approval_required</c> event says of each call whether this person may
    /// decide it (<c>canDecide</c>), by the one rule the approval endpoints' inbox uses. For a chat stream of your own, build it
    /// from the request's user with the same <see cref="ApprovalEndpointOptions.ApproverFromUser"/> your <c>MapApprovalEndpoints</c>
    /// uses. The resume endpoint sets it itself (its own <see cref="ApprovalEndpointOptions.ApproverFromUser"/> on the requesting
    /// user) unless <see cref="ApprovalResumeTarget.SseOptions"/> sets one.
    /// </summary>
    /// <value>Default <see langword="null"/>: the stream does not know its reader, and <c>canDecide</c> is <see langword="false"/> for every call.</value>
    public Approver? Viewer { get; set; }

    /// <summary>Gets or sets where unexpected errors are logged before a generic <c>error</c> event is sent.</summary>
    public ILogger? Logger { get; set; }
}
