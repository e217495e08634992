namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One page of the console's inbox, with the count of what waits under the same filters.</summary>
/// <param name="Items">The approvals of this page the user may read, soonest deadline first.</param>
/// <param name="ContinuationToken">Pass it as <c>continuationToken</c> for the next page; <see langword="null"/> on the last page.</param>
/// <param name="Waiting">How many pending approvals match the filters (counted on the first page only; 0 on later pages).</param>
/// <param name="WaitingCapped">Whether the count stopped at its limit (there may be more).</param>
internal sealed record ConsoleInboxResult(IReadOnlyList<ApprovalView> Items, string? ContinuationToken, int Waiting, bool WaitingCapped);
