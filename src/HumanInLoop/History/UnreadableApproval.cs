namespace HumanInLoop;

/// <summary>An approval an export could not vouch for: malformed, or its audit chain broken. It was left out of the export.</summary>
/// <param name="ApprovalId">The approval.</param>
/// <param name="Problem">What is wrong, naming the audit entry where the chain breaks.</param>
public sealed record UnreadableApproval(string ApprovalId, string Problem);
