namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One message of a conversation excerpt, reduced to text for an approver's screen.</summary>
/// <param name="Role">The message role (<c>user</c>, <c>assistant</c>, <c>tool</c>, <c>system</c>).</param>
/// <param name="Text">The message text (tool calls and results summarized), shortened to <see cref="ApprovalEndpointOptions.ExcerptMaxLength"/>.</param>
internal sealed record ConversationExcerptEntry(string Role, string Text);
