using System.Data.Common;
using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The PostgreSQL statements of purge and archived reads, for <see cref="RelationalPurgeRunner"/>. A batch skips rows other
/// transactions hold (<c>FOR UPDATE SKIP LOCKED</c>), so several servers may purge at once, and its archive and delete statements go
/// to the server in one round trip.
/// </summary>
/// <param name="open">Opens a connection to the initialized store.</param>
/// <param name="tables">The store's table names, in their schema.</param>
internal sealed class PostgreSqlPurgeDialect(Func<CancellationToken, Task<NpgsqlConnection>> open, StoreTableNames tables) : RelationalPurgeDialect
{
    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await open(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async Task<DbTransaction> BeginBatchAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override DbCommand SelectBatch(DbConnection connection, DbTransaction transaction, DateTimeOffset olderThan, string? afterId, bool withHistory, int limit)
    {
        NpgsqlCommand select = new($"""
            SELECT {(withHistory ? PostgreSqlEntryMapping.Columns : PostgreSqlEntryMapping.ColumnsWithoutHistory)} FROM {tables.Approvals}
            WHERE status IN ({(int)ApprovalStatus.Completed}, {(int)ApprovalStatus.Expired}, {(int)ApprovalStatus.Cancelled})
              AND updated_at < $1 AND id > $2
            ORDER BY id LIMIT {limit}
            FOR UPDATE SKIP LOCKED
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        select.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = olderThan.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterId ?? "", NpgsqlDbType = NpgsqlDbType.Text });
        return select;
    }

    /// <inheritdoc />
    public override StateEntry ReadEntry(DbDataReader reader) => PostgreSqlEntryMapping.ReadEntry(reader);

    /// <inheritdoc />
    public override async Task<int> ArchiveAndDeleteAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<(StateEntry Approval, string? Trail)> approvals, DateTimeOffset archivedAt, CancellationToken cancellationToken)
    {
        DateTimeOffset now = archivedAt.ToUniversalTime();
        await using NpgsqlBatch commands = new((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        List<NpgsqlBatchCommand> deletes = new(approvals.Count);
        foreach ((StateEntry row, string? trail) in approvals)
        {
            if (trail is not null)
            {
                NpgsqlBatchCommand archive = new($"""
                    INSERT INTO {tables.AuditArchive} (approval_id, conversation_id, final_status, created_at, updated_at, archived_at, audit_trail)
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

            // The conversation is a column of the row, deleted with it.
            NpgsqlBatchCommand delete = new($"DELETE FROM {tables.Approvals} WHERE id = $1 AND version = $2");
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Id, NpgsqlDbType = NpgsqlDbType.Text });
            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.Version });
            commands.BatchCommands.Add(delete);
            deletes.Add(delete);
        }

        await using (NpgsqlDataReader results = await commands.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await results.CloseAsync().ConfigureAwait(false);
        }

        return deletes.Sum(delete => checked((int)delete.RecordsAffected));
    }

    /// <inheritdoc />
    public override DbCommand SelectArchivedTrail(DbConnection connection, string approvalId)
    {
        NpgsqlCommand command = new($"SELECT audit_trail FROM {tables.AuditArchive} WHERE approval_id = $1", (NpgsqlConnection)connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = approvalId, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }
}
