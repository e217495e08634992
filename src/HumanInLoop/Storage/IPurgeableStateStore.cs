namespace HumanInLoop;

/// <summary>
/// A store that can remove finished approvals by age while keeping their audit trails: an optional capability of an
/// <see cref="IStateStore"/>, declared by implementing this interface (the SQLite and PostgreSQL stores do; so does the
/// in-memory store). Every implementation is held to the same contract tests.
/// </summary>
/// <remarks>
/// A store keeps the archived trail exactly as <see cref="PendingApprovalSerializer.ExtractAuditTrail"/> returns it and reads it
/// back with <see cref="PendingApprovalSerializer.ReadAuditTrail"/>, so its hash chain still verifies and the store never needs to
/// know the record's format.
/// </remarks>
public interface IPurgeableStateStore : IStateStore
{
    /// <summary>
    /// Deletes approvals in a terminal state (<see cref="ApprovalStatus.Completed"/>, <see cref="ApprovalStatus.Expired"/> or
    /// <see cref="ApprovalStatus.Cancelled"/>) that last changed before <paramref name="olderThan"/>. By default each one's audit
    /// trail is first archived, where <see cref="ReadArchivedAuditTrailAsync"/> reads it; a record that cannot be read as an
    /// approval is then left in place rather than lost.
    /// </summary>
    /// <param name="olderThan">Only records last updated before this time are deleted.</param>
    /// <param name="keepAuditTrail"><see langword="true"/> (the default) to archive each audit trail first; <see langword="false"/> to delete everything.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; what was already deleted stays deleted.</param>
    /// <returns>How many approvals were deleted.</returns>
    Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default);

    /// <summary>Reads the audit trail that <see cref="PurgeAsync"/> archived for a deleted approval.</summary>
    /// <param name="approvalId">The id of the purged approval.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The trail, oldest entry first, with its hash chain as recorded; or <see langword="null"/> when none was archived for that id.</returns>
    /// <exception cref="ApprovalStateFormatException">The archived trail cannot be read.</exception>
    Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default);
}
