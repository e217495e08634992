using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// Purge and archived reads of a relational store (<see cref="IPurgeableStateStore"/>): finished approvals older than a cutoff are
/// deleted in batches, each one transaction, their audit trails first taken out by
/// <see cref="PendingApprovalSerializer.ExtractAuditTrail"/> and archived; a record that is not a readable approval is kept.
/// Compiled into each store package, over the store's <see cref="RelationalPurgeDialect"/>.
/// </summary>
/// <remarks>Thread-safe: each call uses its own connection.</remarks>
/// <param name="dialect">The store's SQL and connections.</param>
/// <param name="time">The clock that stamps archived trails.</param>
internal sealed class RelationalPurgeRunner(RelationalPurgeDialect dialect, TimeProvider time)
{
    /// <summary>How many approvals one transaction deletes at most, so that writers are held up only briefly.</summary>
    public const int BatchSize = 500;

    /// <inheritdoc cref="IPurgeableStateStore.PurgeAsync"/>
    public async Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail, CancellationToken cancellationToken)
    {
        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        int purged = 0;
        string? afterId = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using DbTransaction transaction = await dialect.BeginBatchAsync(connection, cancellationToken).ConfigureAwait(false);
            List<StateEntry> batch = await SelectBatchAsync(connection, transaction, olderThan, afterId, keepAuditTrail, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            // With the trail kept, a record that is not a readable approval yields none, and is left in place rather than lost.
            List<(StateEntry Approval, string? Trail)> deletions = new(batch.Count);
            foreach (StateEntry row in batch)
            {
                string? trail = keepAuditTrail ? PendingApprovalSerializer.ExtractAuditTrail(row) : null;
                if (!keepAuditTrail || trail is not null)
                {
                    deletions.Add((row, trail));
                }
            }

            if (deletions.Count > 0)
            {
                purged += await dialect.ArchiveAndDeleteAsync(connection, transaction, deletions, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            afterId = batch[^1].Id;
            if (batch.Count < BatchSize)
            {
                break;
            }
        }

        return purged;
    }

    /// <inheritdoc cref="IPurgeableStateStore.ReadArchivedAuditTrailAsync"/>
    public async Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using DbCommand command = dialect.SelectArchivedTrail(connection, approvalId);
        object? json = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return json is string text ? PendingApprovalSerializer.ReadAuditTrail(approvalId, text) : null;
    }

    private async Task<List<StateEntry>> SelectBatchAsync(
        DbConnection connection, DbTransaction transaction, DateTimeOffset olderThan, string? afterId, bool withHistory, CancellationToken cancellationToken)
    {
        List<StateEntry> batch = [];
        await using DbCommand select = dialect.SelectBatch(connection, transaction, olderThan, afterId, withHistory, BatchSize);
        await using DbDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(dialect.ReadEntry(reader));
        }

        return batch;
    }
}
