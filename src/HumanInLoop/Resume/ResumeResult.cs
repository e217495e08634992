using Microsoft.Extensions.AI;

namespace HumanInLoop;

/// <summary>What a resume returns: the model's answer and the conversation to continue from.</summary>
public sealed class ResumeResult
{
    internal ResumeResult(PendingApproval approval, ChatResponse response)
    {
        Approval = approval;
        Response = response;
        Messages = [.. approval.Messages, .. response.Messages];
    }

    /// <summary>Gets the approval as completed, with its calls' outcomes and the audit trail.</summary>
    public PendingApproval Approval { get; }

    /// <summary>Gets the response: the tool results message first, then the model's messages.</summary>
    public ChatResponse Response { get; }

    /// <summary>Gets the whole conversation: the saved history followed by <see cref="Response"/>'s messages. Send it with the next user message.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }
}
