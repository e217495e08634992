namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One page of an approver's inbox.</summary>
/// <param name="Items">The approvals, newest first.</param>
/// <param name="ContinuationToken">Pass it as <c>continuationToken</c> for the next page; <see langword="null"/> on the last page.</param>
internal sealed record ApprovalListResult(IReadOnlyList<ApprovalView> Items, string? ContinuationToken);
