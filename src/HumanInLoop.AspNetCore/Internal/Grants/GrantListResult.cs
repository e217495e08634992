namespace HumanInLoop.AspNetCore.Internal;

/// <summary>One page of standing grants.</summary>
/// <param name="Items">The grants, newest first.</param>
/// <param name="ContinuationToken">Pass it as <c>continuationToken</c> for the next page; <see langword="null"/> on the last page.</param>
internal sealed record GrantListResult(IReadOnlyList<GrantView> Items, string? ContinuationToken);
