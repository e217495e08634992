using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore;

/// <summary>How a chat stream ended, given to <see cref="ChatStreamOptions.OnCompleted"/>.</summary>
/// <remarks>Read-only.</remarks>
public sealed class ChatStreamCompletion
{
    internal ChatStreamCompletion(ChatStreamOutcome outcome, ChatResponse response, PendingApproval? approval, Exception? error)
    {
        Outcome = outcome;
        Response = response;
        Approval = approval;
        Error = error;
    }

    /// <summary>Gets how the stream ended.</summary>
    public ChatStreamOutcome Outcome { get; }

    /// <summary>Gets every update the stream carried, combined into messages (partial when the stream paused or failed).</summary>
    public ChatResponse Response { get; }

    /// <summary>Gets the saved approval when <see cref="Outcome"/> is <see cref="ChatStreamOutcome.ApprovalRequired"/>; its messages are the whole history up to the pause.</summary>
    public PendingApproval? Approval { get; }

    /// <summary>Gets the error when <see cref="Outcome"/> is <see cref="ChatStreamOutcome.Failed"/>.</summary>
    public Exception? Error { get; }
}
