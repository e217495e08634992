using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore;

/// <summary>What <see cref="ChatSseOptions.OnCompleted"/> is given: how the chat stream ended and what it carried.</summary>
/// <remarks>Read-only; a new instance per stream.</remarks>
public sealed class ChatSseCompletedArguments
{
    internal ChatSseCompletedArguments(ChatSseOutcome outcome, ChatResponse response, PendingApproval? approval, Exception? error)
    {
        Outcome = outcome;
        Response = response;
        Approval = approval;
        Error = error;
    }

    /// <summary>Gets how the stream ended.</summary>
    public ChatSseOutcome Outcome { get; }

    /// <summary>Gets every update the stream carried, combined into messages (partial when the stream paused or failed).</summary>
    public ChatResponse Response { get; }

    /// <summary>Gets the saved approval when <see cref="Outcome"/> is <see cref="ChatSseOutcome.ApprovalRequired"/>; its messages are the whole history up to the pause.</summary>
    public PendingApproval? Approval { get; }

    /// <summary>Gets the error when <see cref="Outcome"/> is <see cref="ChatSseOutcome.Failed"/>.</summary>
    public Exception? Error { get; }
}
