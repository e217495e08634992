namespace HumanInLoop;

/// <summary>One page of approvals from <see cref="ApprovalService.ListAsync"/>.</summary>
/// <param name="Approvals">The approvals, newest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="StateQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
public sealed record ApprovalPage(IReadOnlyList<PendingApproval> Approvals, string? ContinuationToken);
