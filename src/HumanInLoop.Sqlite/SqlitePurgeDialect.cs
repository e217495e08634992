using System.Data.Common;
using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// The SQLite statements of purge and archived reads, for <see cref="RelationalPurgeRunner"/>. Each batch is one
/// <c>BEGIN IMMEDIATE</c> transaction (the file has one writer at a time); a conversation kept apart is deleted with its approval.
/// </summary>
/// <param name="open">Opens a connection to the initialized store.</param>
/// <param name="tables">The store's table names.</param>
internal sealed class SqlitePurgeDialect(Func<CancellationToken, Task<SqliteConnection>> open, StoreTableNames tables) : RelationalPurgeDialect
{
    private readonly string _history = SqliteEntryMapping.HistoryTable(tables);

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await open(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override Task<DbTransaction> BeginBatchAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    /// <inheritdoc />
    public override DbCommand SelectBatch(DbConnection connection, DbTransaction transaction, DateTimeOffset olderThan, string? afterId, bool withHistory, int limit)
    {
        SqliteCommand select = Command(connection, transaction, $"""
            SELECT {(withHistory ? SqliteEntryMapping.Columns : SqliteEntryMapping.ColumnsWithoutHistory)} FROM {tables.Approvals} a
            {(withHistory ? $"LEFT JOIN {_history} h ON h.approval_id = a.id" : "")}
            WHERE a.status IN ({(int)ApprovalStatus.Completed}, {(int)ApprovalStatus.Expired}, {(int)ApprovalStatus.Cancelled})
              AND a.updated_at < @cutoff {(afterId is null ? "" : "AND a.id > @after")}
            ORDER BY a.id LIMIT {limit}
            """);
        select.Parameters.AddWithValue("@cutoff", olderThan.ToUnixTimeMilliseconds());
        if (afterId is not null)
        {
            select.Parameters.AddWithValue("@after", afterId);
        }

        return select;
    }

    /// <inheritdoc />
    public override StateEntry ReadEntry(DbDataReader reader) => SqliteEntryMapping.ReadEntry(reader);

    /// <inheritdoc />
    public override async Task<int> ArchiveAndDeleteAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<(StateEntry Approval, string? Trail)> approvals, DateTimeOffset archivedAt, CancellationToken cancellationToken)
    {
        int deleted = 0;
        foreach ((StateEntry row, string? trail) in approvals)
        {
            if (trail is not null)
            {
                await using SqliteCommand archive = Command(connection, transaction, $"""
                    INSERT INTO {tables.AuditArchive} (approval_id, conversation_id, final_status, created_at, updated_at, archived_at, audit_trail)
                    VALUES (@id, @conversation, @status, @created, @updated, @archived, @trail)
                    ON CONFLICT (approval_id) DO UPDATE SET conversation_id = excluded.conversation_id, final_status = excluded.final_status,
                        created_at = excluded.created_at, updated_at = excluded.updated_at, archived_at = excluded.archived_at, audit_trail = excluded.audit_trail
                    """);
                archive.Parameters.AddWithValue("@id", row.Id);
                archive.Parameters.AddWithValue("@conversation", (object?)row.ConversationId ?? DBNull.Value);
                archive.Parameters.AddWithValue("@status", (int)row.Status);
                archive.Parameters.AddWithValue("@created", row.CreatedAt.ToUnixTimeMilliseconds());
                archive.Parameters.AddWithValue("@updated", row.UpdatedAt.ToUnixTimeMilliseconds());
                archive.Parameters.AddWithValue("@archived", archivedAt.ToUnixTimeMilliseconds());
                archive.Parameters.AddWithValue("@trail", trail);
                await archive.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using SqliteCommand delete = Command(connection, transaction, $"DELETE FROM {tables.Approvals} WHERE id = @id AND version = @version");
            delete.Parameters.AddWithValue("@id", row.Id);
            delete.Parameters.AddWithValue("@version", row.Version);
            if (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                deleted++;
                await using SqliteCommand deleteHistory = Command(connection, transaction, $"DELETE FROM {_history} WHERE approval_id = @id");
                deleteHistory.Parameters.AddWithValue("@id", row.Id);
                await deleteHistory.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    public override DbCommand SelectArchivedTrail(DbConnection connection, string approvalId)
    {
        SqliteCommand command = Command(connection, null, $"SELECT audit_trail FROM {tables.AuditArchive} WHERE approval_id = @id");
        command.Parameters.AddWithValue("@id", approvalId);
        return command;
    }

    private static SqliteCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        SqliteCommand command = ((SqliteConnection)connection).CreateCommand();
        command.Transaction = (SqliteTransaction?)transaction;
        command.CommandText = sql;
        return command;
    }
}
