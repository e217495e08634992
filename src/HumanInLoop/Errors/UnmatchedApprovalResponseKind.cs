namespace HumanInLoop;

/// <summary>Why an approval response (<c>ToolApprovalResponseContent</c>) was refused: see <see cref="UnmatchedApprovalResponseException"/>.</summary>
public enum UnmatchedApprovalResponseKind
{
    /// <summary>
    /// It was given to <see cref="ApprovalService.ApplyApprovalResponseAsync(Microsoft.Extensions.AI.ToolApprovalResponseContent, Approver, CancellationToken)"/>
    /// and HumanInLoop never issued its request id, or the approval or call it names does not exist, or its tool, call id or
    /// arguments differ from the stored call.
    /// </summary>
    Forged = 0,

    /// <summary>It names a stored call that never waited for a person (allowed or denied at once, or answered as a repeat of a rejection).</summary>
    NeverPending = 1,

    /// <summary>
    /// It was in the messages sent to the chat pipeline, where <c>FunctionInvokingChatClient</c> would have run its call; the
    /// protected tool refused. Approval responses decide only through <c>ApplyApprovalResponseAsync</c>.
    /// </summary>
    InChatInput = 2,
}
