using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <content>Removing finished approvals by age, keeping their audit trail, and reading an archived trail back.</content>
public sealed partial class SqliteStateStore
{
    private const int PurgeBatchSize = 500;

    /// <summary>
    /// Deletes approvals in a terminal state (<see cref="ApprovalStatus.Completed"/>, <see cref="ApprovalStatus.Expired"/> or
    /// <see cref="ApprovalStatus.Cancelled"/>) that last changed before <paramref name="olderThan"/>. By default each one's audit
    /// trail is first copied, exactly as stored, to the archive table, where <see cref="ReadArchivedAuditTrailAsync"/> reads it.
    /// </summary>
    /// <remarks>
    /// Works in batches of 500, each one transaction, so writers are held up only briefly. When the audit trail is kept, a record
    /// whose data cannot be read as an approval is left in place rather than lost. Pending approvals past their deadline become
    /// <see cref="ApprovalStatus.Expired"/> only when the <see cref="ApprovalService"/> next touches them; until then they are kept.
    /// </remarks>
    /// <param name="olderThan">Only records last updated before this time are deleted.</param>
    /// <param name="keepAuditTrail"><see langword="true"/> (the default) to archive each audit trail first; <see langword="false"/> to delete everything.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; batches already committed stay deleted.</param>
    /// <returns>How many approvals were deleted.</returns>
    public async Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        long cutoff = olderThan.ToUnixTimeMilliseconds();
        int purged = 0;
        string? afterId = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            List<StateEntry> batch = [];
            await using (SqliteCommand select = connection.CreateCommand())
            {
                select.Transaction = transaction;

                // The history is read only to check that the record is a readable approval before its trail is archived.
                select.CommandText = $"""
                    SELECT {(keepAuditTrail ? Columns : ColumnsWithoutHistory)} FROM {_approvals} a
                    {(keepAuditTrail ? $"LEFT JOIN {_history} h ON h.approval_id = a.id" : "")}
                    WHERE a.status IN ({(int)ApprovalStatus.Completed}, {(int)ApprovalStatus.Expired}, {(int)ApprovalStatus.Cancelled})
                      AND a.updated_at < @cutoff {(afterId is null ? "" : "AND a.id > @after")}
                    ORDER BY a.id LIMIT {PurgeBatchSize}
                    """;
                select.Parameters.AddWithValue("@cutoff", cutoff);
                if (afterId is not null)
                {
                    select.Parameters.AddWithValue("@after", afterId);
                }

                await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(ReadEntry(reader));
                }
            }

            if (batch.Count == 0)
            {
                break;
            }

            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (StateEntry row in batch)
            {
                if (keepAuditTrail)
                {
                    if (PendingApprovalSerializer.ExtractAuditTrail(row) is not { } trail)
                    {
                        continue;
                    }

                    await using SqliteCommand archive = connection.CreateCommand();
                    archive.Transaction = transaction;
                    archive.CommandText = $"""
                        INSERT INTO {_archive} (approval_id, conversation_id, final_status, created_at, updated_at, archived_at, audit_trail)
                        VALUES (@id, @conversation, @status, @created, @updated, @archived, @trail)
                        ON CONFLICT (approval_id) DO UPDATE SET conversation_id = excluded.conversation_id, final_status = excluded.final_status,
                            created_at = excluded.created_at, updated_at = excluded.updated_at, archived_at = excluded.archived_at, audit_trail = excluded.audit_trail
                        """;
                    archive.Parameters.AddWithValue("@id", row.Id);
                    archive.Parameters.AddWithValue("@conversation", (object?)row.ConversationId ?? DBNull.Value);
                    archive.Parameters.AddWithValue("@status", (int)row.Status);
                    archive.Parameters.AddWithValue("@created", row.CreatedAt.ToUnixTimeMilliseconds());
                    archive.Parameters.AddWithValue("@updated", row.UpdatedAt.ToUnixTimeMilliseconds());
                    archive.Parameters.AddWithValue("@archived", now);
                    archive.Parameters.AddWithValue("@trail", trail);
                    await archive.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using SqliteCommand delete = connection.CreateCommand();
                delete.Transaction = transaction;
                delete.CommandText = $"DELETE FROM {_approvals} WHERE id = @id AND version = @version";
                delete.Parameters.AddWithValue("@id", row.Id);
                delete.Parameters.AddWithValue("@version", row.Version);
                if (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    purged++;
                    await using SqliteCommand deleteHistory = connection.CreateCommand();
                    deleteHistory.Transaction = transaction;
                    deleteHistory.CommandText = $"DELETE FROM {_history} WHERE approval_id = @id";
                    deleteHistory.Parameters.AddWithValue("@id", row.Id);
                    await deleteHistory.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT audit_trail FROM {_archive} WHERE approval_id = @id";
        command.Parameters.AddWithValue("@id", approvalId);
        object? json = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return json is string text ? PendingApprovalSerializer.ReadAuditTrail(approvalId, text) : null;
    }
}
