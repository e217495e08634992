namespace HumanInLoop;

/// <summary>One page of approvals from <see cref="ApprovalService.ListAsync"/>.</summary>
/// <param name="Approvals">The approvals, newest first.</param>
/// <param name="ContinuationToken">Pass it in <see cref="StateQuery.ContinuationToken"/> for the next page; <see langword="null"/> when this is the last.</param>
/// <param name="UnreadableIds">
/// Ids of records on this page that could not be read (malformed, from a newer format, or altered). They are left out of
/// <paramref name="Approvals"/> rather than failing the whole page, logged as errors, and kept in the store untouched;
/// <see cref="ApprovalService.GetAsync"/> on one of them throws the typed error that says why.
/// </param>
public sealed record ApprovalPage(IReadOnlyList<PendingApproval> Approvals, string? ContinuationToken, IReadOnlyList<string> UnreadableIds);
