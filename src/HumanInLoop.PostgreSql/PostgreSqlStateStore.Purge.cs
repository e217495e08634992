using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <content>Removing finished approvals by age, keeping their audit trail, and reading an archived trail back.</content>
public sealed partial class PostgreSqlStateStore
{
    private const int PurgeBatchSize = 500;

    /// <summary>
    /// Deletes approvals in a terminal state (<see cref="ApprovalStatus.Completed"/>, <see cref="ApprovalStatus.Expired"/> or
    /// <see cref="ApprovalStatus.Cancelled"/>) that last changed before <paramref name="olderThan"/>. By default each one's audit
    /// trail is first copied, exactly as stored, to the archive table, where <see cref="ReadArchivedAuditTrailAsync"/> reads it.
    /// </summary>
    /// <remarks>
    /// Works in batches of 500, each one transaction that skips rows other transactions hold, so several servers may purge at
    /// once. When the audit trail is kept, a record whose data cannot be read as an approval is left in place rather than lost.
    /// Pending approvals past their deadline become <see cref="ApprovalStatus.Expired"/> only when the <see cref="ApprovalService"/>
    /// next touches them; until then they are kept.
    /// </remarks>
    /// <param name="olderThan">Only records last updated before this time are deleted.</param>
    /// <param name="keepAuditTrail"><see langword="true"/> (the default) to archive each audit trail first; <see langword="false"/> to delete everything.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; batches already committed stay deleted.</param>
    /// <returns>How many approvals were deleted.</returns>
    public async Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        int purged = 0;
        string afterId = "";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            List<StateEntry> batch = [];

            // The history is read only to check that the record is a readable approval before its trail is archived.
            await using (NpgsqlCommand select = new($"""
                SELECT {(keepAuditTrail ? Columns : ColumnsWithoutHistory)} FROM {_approvals}
                WHERE status IN ({(int)ApprovalStatus.Completed}, {(int)ApprovalStatus.Expired}, {(int)ApprovalStatus.Cancelled})
                  AND updated_at < $1 AND id > $2
                ORDER BY id LIMIT {PurgeBatchSize}
                FOR UPDATE SKIP LOCKED
                """, connection, transaction))
            {
                select.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = olderThan.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
                select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterId, NpgsqlDbType = NpgsqlDbType.Text });
                await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(ReadEntry(reader));
                }
            }

            if (batch.Count == 0)
            {
                break;
            }

            DateTimeOffset now = _time.GetUtcNow().ToUniversalTime();
            await using NpgsqlBatch commands = new(connection, transaction);
            foreach (StateEntry row in batch)
            {
                if (keepAuditTrail)
                {
                    if (PendingApprovalSerializer.ExtractAuditTrail(row) is not { } trail)
                    {
                        continue;
                    }

                    NpgsqlBatchCommand archive = new($"""
                        INSERT INTO {_archive} (approval_id, conversation_id, final_status, created_at, updated_at, archived_at, audit_trail)
                        VALUES ($1, $2, $3, $4, $5, $6, $7)
                        ON CONFLICT (approval_id) DO UPDATE SET conversation_id = excluded.conversation_id, final_status = excluded.final_status,
                            created_at = excluded.created_at, updated_at = excluded.updated_at, archived_at = excluded.archived_at, audit_trail = excluded.audit_trail
                        """);
                    archive.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Id, NpgsqlDbType = NpgsqlDbType.Text });
                    archive.Parameters.Add(new NpgsqlParameter { Value = (object?)row.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                    archive.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)row.Status });
                    archive.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = row.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    archive.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = row.UpdatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    archive.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    archive.Parameters.Add(new NpgsqlParameter<string> { TypedValue = trail, NpgsqlDbType = NpgsqlDbType.Text });
                    commands.BatchCommands.Add(archive);
                }

                NpgsqlBatchCommand delete = new($"DELETE FROM {_approvals} WHERE id = $1 AND version = $2");
                delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Id, NpgsqlDbType = NpgsqlDbType.Text });
                delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.Version });
                commands.BatchCommands.Add(delete);
            }

            if (commands.BatchCommands.Count > 0)
            {
                await using NpgsqlDataReader results = await commands.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await results.CloseAsync().ConfigureAwait(false);
                foreach (NpgsqlBatchCommand command in commands.BatchCommands)
                {
                    if (command.CommandText.StartsWith("DELETE", StringComparison.Ordinal))
                    {
                        purged += checked((int)command.RecordsAffected);
                    }
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            afterId = batch[^1].Id;
            if (batch.Count < PurgeBatchSize)
            {
                break;
            }
        }

        return purged;
    }

    /// <summary>Reads the audit trail that <see cref="PurgeAsync"/> archived for an approval.</summary>
    /// <param name="approvalId">The id of the purged approval.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The trail, oldest entry first, with its hash chain as recorded; or <see langword="null"/> when none was archived for that id.</returns>
    /// <exception cref="ApprovalStateFormatException">The archived trail cannot be read.</exception>
    public async Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"SELECT audit_trail FROM {_archive} WHERE approval_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = approvalId, NpgsqlDbType = NpgsqlDbType.Text });
        object? json = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return json is string text ? PendingApprovalSerializer.ReadAuditTrail(approvalId, text) : null;
    }
}
