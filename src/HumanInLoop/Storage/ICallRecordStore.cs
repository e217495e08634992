namespace HumanInLoop;

/// <summary>
/// A store that also keeps a record of every call the gate judged without holding it (allowed or denied by the policies,
/// or allowed by a standing grant), so that <see cref="ApprovalHistory"/> can report and replay over all calls, not only
/// those a person saw.
/// </summary>
/// <remarks>
/// <para>
/// Records are append-only: nothing updates or deletes one except <see cref="IPurgeableStateStore.PurgeAsync"/> where the store
/// also purges records older than its cut-off. The store treats <see cref="CallRecordEntry.Data"/> as opaque text; the
/// other fields are copies kept for filtering.
/// </para>
/// <para>
/// The contract suite in <c>tests/HumanInLoop.Testing</c> (<c>CallRecordStoreContractTests</c>) checks an implementation.
/// </para>
/// </remarks>
public interface ICallRecordStore : IStateStore
{
    /// <summary>Appends records in one durable write.</summary>
    /// <param name="entries">The records. A record whose <see cref="CallRecordEntry.Id"/> is already stored is skipped, so a retried append is harmless.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the records are durable.</returns>
    Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Lists records in the order they were recorded (by <see cref="CallRecordEntry.RecordedAt"/>, then <see cref="CallRecordEntry.Id"/>), one page at a time.</summary>
    /// <param name="query">The filter and the page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One page of records.</returns>
    Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default);
}
