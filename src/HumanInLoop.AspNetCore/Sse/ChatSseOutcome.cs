namespace HumanInLoop.AspNetCore;

/// <summary>How a chat stream ended: <see cref="ChatSseCompletedArguments.Outcome"/>.</summary>
public enum ChatSseOutcome
{
    /// <summary>The model answered; the stream's last event is <c>done</c>.</summary>
    Completed = 0,

    /// <summary>The approval gate paused the conversation and saved an approval; the stream's last event is <c>approval_required</c>.</summary>
    ApprovalRequired = 1,

    /// <summary>The request failed; the stream's last event is <c>error</c>.</summary>
    Failed = 2,
}
