using Microsoft.Extensions.AI;

namespace HumanInLoop.AspNetCore;

/// <summary>Where a resume sends the conversation: the chat pipeline and the options with the tools, plus how to stream it.</summary>
/// <param name="ChatClient">The same pipeline the conversation used: <c>UseFunctionInvocation().UseApprovalGate(...)</c> over the model.</param>
/// <param name="Options">The options with the tools, supplied again (tools are never serialized), protected with <see cref="ApprovalService.ProtectTools"/>; with no <see cref="CallerContext"/> (the stored one is used) or the approval's own, never the resuming user's.</param>
public sealed record ApprovalResumeTarget(IChatClient ChatClient, ChatOptions? Options)
{
    /// <summary>Gets how the resumed answer is turned into events, for example to save the conversation when it completes or pauses again.</summary>
    public ChatSseOptions? SseOptions { get; init; }
}
