namespace HumanInLoop.AspNetCore;

/// <summary>How a chat stream ended.</summary>
public enum ChatStreamOutcome
{
    /// <summary>The model answered; a <see cref="DoneEvent"/> follows.</summary>
    Completed = 0,

    /// <summary>The approval gate paused the conversation and saved an approval; an <see cref="ApprovalRequiredEvent"/> follows.</summary>
    ApprovalRequired = 1,

    /// <summary>The request failed; an <see cref="ErrorEvent"/> follows.</summary>
    Failed = 2,
}
