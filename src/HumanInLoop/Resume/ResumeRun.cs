using Microsoft.Extensions.AI;

namespace HumanInLoop.Internal;

/// <summary>A claimed resume whose calls have all ended: the approval, and what to send the model next.</summary>
/// <param name="Approval">The claimed approval.</param>
/// <param name="Continuation">The conversation with the tool results appended.</param>
/// <param name="ResultsMessage">The tool results, one per call of the batch.</param>
/// <param name="Options">The caller's options with the approval's caller context.</param>
internal sealed record ResumeRun(PendingApproval Approval, List<ChatMessage> Continuation, ChatMessage ResultsMessage, ChatOptions Options);
