namespace HumanInLoop;

/// <summary>One page of standing grants from <see cref="StandingGrants.ListPageAsync"/>.</summary>
/// <param name="Grants">The grants, newest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="GrantQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
public sealed record ApprovalGrantPage(IReadOnlyList<ApprovalGrant> Grants, string? ContinuationToken);
