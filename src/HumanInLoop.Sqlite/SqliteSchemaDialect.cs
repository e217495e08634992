using System.Data.Common;
using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// The SQLite statements of the store's schema, its numbered migration steps and its error messages, for
/// <see cref="RelationalSchemaInitializer"/>. Processes starting together on one file take turns by <c>BEGIN IMMEDIATE</c>.
/// </summary>
/// <param name="openRaw">Opens a connection without initializing.</param>
/// <param name="tables">The store's table names.</param>
/// <param name="dataSource">The database file, for messages.</param>
/// <param name="time">The clock that stamps applied versions.</param>
internal sealed class SqliteSchemaDialect(Func<CancellationToken, Task<SqliteConnection>> openRaw, StoreTableNames tables, string dataSource, TimeProvider time)
    : RelationalSchemaDialect(tables)
{
    private readonly string _approvals = tables.Approvals;
    private readonly string _prefix = tables.Prefix;
    private readonly string _approvers = SqliteEntryMapping.ApproversTable(tables);

    /// <inheritdoc />
    public override int Version => SqliteStateStore.SchemaVersion;

    /// <inheritdoc />
    public override string CreateVersionTable => $"""
        CREATE TABLE IF NOT EXISTS {Tables.SchemaVersions} (
            version INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL,
            description TEXT NOT NULL)
        """;

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync() => await openRaw(CancellationToken.None).ConfigureAwait(false);

    /// <inheritdoc />
    public override string? DescribeConnectFailure(Exception exception) => exception is SqliteException
        ? $"Cannot open the SQLite database '{dataSource}' ({exception.Message}). Check that its directory exists and that this process may write there."
        : null;

    /// <inheritdoc />
    public override async Task<DbTransaction> BeginUpgradeAsync(DbConnection connection)
    {
        await connection.ExecuteAsync(null, "PRAGMA journal_mode = WAL").ConfigureAwait(false);

        // BEGIN IMMEDIATE: processes starting together take turns, and each sees the schema the one before it left.
        return ((SqliteConnection)connection).BeginTransaction(deferred: false);
    }

    /// <inheritdoc />
    public override async Task RecordVersionAsync(DbConnection connection, DbTransaction transaction, int version, string description)
    {
        await using SqliteCommand record = ((SqliteConnection)connection).CreateCommand();
        record.Transaction = (SqliteTransaction)transaction;
        record.CommandText = $"INSERT INTO {Tables.SchemaVersions} (version, applied_at, description) VALUES (@version, @at, @description)";
        record.Parameters.AddWithValue("@version", version);
        record.Parameters.AddWithValue("@at", time.GetUtcNow().ToUnixTimeMilliseconds());
        record.Parameters.AddWithValue("@description", description);
        await record.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string DescribeNewerSchema(long found) =>
        $"The SQLite database '{dataSource}' has HumanInLoop schema version {found} (tables '{_prefix}*'), but this version of HumanInLoop.Sqlite supports up to version {Version}. Upgrade the HumanInLoop.Sqlite package, or point the store at another file or table prefix.";

    /// <inheritdoc />
    public override string? DescribeUpgradeFailure(DbException exception) => exception is SqliteException
        ? $"Cannot create or upgrade the HumanInLoop tables in the SQLite database '{dataSource}' ({exception.Message}). Check that the file is a SQLite database this process may write."
        : null;

    /// <inheritdoc />
    public override SchemaMigration Migration(int version) => version switch
    {
        1 => new(
            "approvals, audit archive, listing and purge indexes",
            $"""
            CREATE TABLE {_approvals} (
                id TEXT NOT NULL PRIMARY KEY,
                conversation_id TEXT NULL,
                status INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                version INTEGER NOT NULL,
                data TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}approvals_created\" ON {_approvals} (created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_created\" ON {_approvals} (status, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_conversation_created\" ON {_approvals} (conversation_id, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_updated\" ON {_approvals} (status, updated_at)",
            $"""
            CREATE TABLE {Tables.AuditArchive} (
                approval_id TEXT NOT NULL PRIMARY KEY,
                conversation_id TEXT NULL,
                final_status INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                archived_at INTEGER NOT NULL,
                audit_trail TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}audit_archive_archived\" ON {Tables.AuditArchive} (archived_at)"),

        // The conversation kept apart from data (StateEntry.History). Rows from version 1 keep it inside data, with history NULL.
        2 => new(
            "approvals: history column (the conversation, written once)",
            $"ALTER TABLE {_approvals} ADD COLUMN history TEXT NULL"),

        // SQLite rewrites a whole row on every update, a long text column included, so new conversations go to a table of their
        // own. Rows already written keep theirs in approvals.history, which is still read: a process still at version 2 keeps
        // reading the approvals it held, and one that writes the column after this migration loses nothing.
        3 => new(
            "approval_history: new conversations in a table of their own, so a change to an approval does not rewrite them",
            $"""
            CREATE TABLE {SqliteEntryMapping.HistoryTable(Tables)} (
                approval_id TEXT NOT NULL PRIMARY KEY,
                history TEXT NOT NULL)
            """),

        // Call records (ICallRecordStore) and standing grants (IGrantStore): new tables, nothing else changes, so a process still
        // at version 3 keeps working on the same file. Times are Unix milliseconds like the approvals'; revoked is 0 or 1.
        4 => new(
            "call_records and grants: the calls the gate judged without holding them, and standing grants",
            $"""
            CREATE TABLE {Tables.CallRecords} (
                id TEXT NOT NULL PRIMARY KEY,
                tool_name TEXT NOT NULL,
                tenant_id TEXT NULL,
                recorded_at INTEGER NOT NULL,
                data TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}call_records_recorded\" ON {Tables.CallRecords} (recorded_at, id)",
            $"CREATE INDEX \"{_prefix}call_records_tool_recorded\" ON {Tables.CallRecords} (tool_name, recorded_at, id)",
            $"CREATE INDEX \"{_prefix}call_records_tenant_recorded\" ON {Tables.CallRecords} (tenant_id, recorded_at, id)",
            $"""
            CREATE TABLE {Tables.Grants} (
                id TEXT NOT NULL PRIMARY KEY,
                tool_name TEXT NOT NULL,
                tenant_id TEXT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                revoked INTEGER NOT NULL,
                version INTEGER NOT NULL,
                data TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}grants_created\" ON {Tables.Grants} (created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}grants_tool_created\" ON {Tables.Grants} (tool_name, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}grants_tenant_created\" ON {Tables.Grants} (tenant_id, created_at DESC, id DESC)"),
        // Tenant isolation: the tenant of each approval as a column, filled from the stored record (its context), with indexes that
        // keep a tenant's listing (all, or by status) one range scan. A row whose data is not JSON keeps NULL: no tenant sees it.
        5 => new(
            "approvals: tenant_id column (backfilled from the stored context) and tenant listing indexes",
            $"ALTER TABLE {_approvals} ADD COLUMN tenant_id TEXT NULL",
            $"UPDATE {_approvals} SET tenant_id = CASE WHEN json_valid(data) AND json_type(data, '$.context.tenantId') = 'text' THEN json_extract(data, '$.context.tenantId') END",
            $"CREATE INDEX \"{_prefix}approvals_tenant_created\" ON {_approvals} (tenant_id, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_tenant_status_created\" ON {_approvals} (tenant_id, status, created_at DESC, id DESC)"),
        // Who may decide each pending approval (StateEntry.Approvers, for StateQuery.Approver): a JSON array on the approval, filled
        // here from the calls of each stored pending record, and one row per name in a table of its own that triggers keep in step
        // with the approvals (rows only while pending), so that an approver's inbox is one index range per name. A process still
        // at version 5 writes no approvers: the status trigger still drops what it decides, and its new approvals list for nobody.
        6 => new(
            "approvals: approvers column (who may decide, backfilled from the stored calls) and approval_approvers, kept by triggers, with its listing indexes",
            $"ALTER TABLE {_approvals} ADD COLUMN approvers TEXT NULL",
            $"""
            UPDATE {_approvals} SET approvers = NULLIF((
                SELECT json_group_array(name) FROM (
                    SELECT DISTINCT CASE WHEN COALESCE(json_array_length(c.value, '$.approvers'), 0) = 0 THEN '' ELSE n.value END AS name
                    FROM json_each({_approvals}.data, '$.calls') c LEFT JOIN json_each(c.value, '$.approvers') n
                    WHERE json_extract(c.value, '$.decision') = 'AwaitingApproval' AND (n.type IS NULL OR n.type = 'text')
                        AND (n.value IS NULL OR n.value <> char(0) || 'no-common-approver')
                    ORDER BY name)), '[]')
            WHERE status = 0 AND json_valid(data) AND json_type(data, '$.calls') = 'array'
            """,
            $"""
            CREATE TABLE {_approvers} (
                approver TEXT NOT NULL,
                tenant_id TEXT NULL,
                created_at INTEGER NOT NULL,
                approval_id TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}approval_approvers_created\" ON {_approvers} (approver, created_at DESC, approval_id DESC)",
            $"CREATE INDEX \"{_prefix}approval_approvers_tenant_created\" ON {_approvers} (approver, tenant_id, created_at DESC, approval_id DESC)",
            $"CREATE INDEX \"{_prefix}approval_approvers_approval\" ON {_approvers} (approval_id)",
            $"INSERT INTO {_approvers} (approver, tenant_id, created_at, approval_id) SELECT DISTINCT n.value, a.tenant_id, a.created_at, a.id FROM {_approvals} a, json_each(a.approvers) n WHERE a.status = 0 AND a.approvers IS NOT NULL",
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_insert" AFTER INSERT ON {_approvals}
            WHEN new.status = 0 AND new.approvers IS NOT NULL
            BEGIN
                INSERT INTO {_approvers} (approver, tenant_id, created_at, approval_id) SELECT DISTINCT value, new.tenant_id, new.created_at, new.id FROM json_each(new.approvers);
            END
            """,
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_update" AFTER UPDATE ON {_approvals}
            WHEN old.status IS NOT new.status OR old.approvers IS NOT new.approvers OR old.tenant_id IS NOT new.tenant_id OR old.created_at IS NOT new.created_at OR old.id IS NOT new.id
            BEGIN
                DELETE FROM {_approvers} WHERE approval_id = old.id;
                INSERT INTO {_approvers} (approver, tenant_id, created_at, approval_id) SELECT DISTINCT value, new.tenant_id, new.created_at, new.id FROM json_each(new.approvers) WHERE new.status = 0 AND new.approvers IS NOT NULL;
            END
            """,
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_delete" AFTER DELETE ON {_approvals}
            BEGIN
                DELETE FROM {_approvers} WHERE approval_id = old.id;
            END
            """),
        // The deadline order (StateOrder.SoonestDeadlineFirst): indexes on the approvals by status (and tenant) and deadline, and the
        // deadline on each approval_approvers row, filled from its approval and kept by the triggers (now also when the deadline
        // changes), so that an inbox by deadline is one index range per name too. A process still at version 6 writes approvals
        // as before: the triggers, in the file, keep the new column.
        7 => new(
            "deadline order: approvals (status, expires_at, id) and (tenant_id, status, expires_at, id) indexes; approval_approvers.expires_at, backfilled and kept by the triggers, with its deadline indexes",
            $"CREATE INDEX \"{_prefix}approvals_status_expires\" ON {_approvals} (status, expires_at, id)",
            $"CREATE INDEX \"{_prefix}approvals_tenant_status_expires\" ON {_approvals} (tenant_id, status, expires_at, id)",
            $"ALTER TABLE {_approvers} ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0",
            $"UPDATE {_approvers} SET expires_at = COALESCE((SELECT a.expires_at FROM {_approvals} a WHERE a.id = {_approvers}.approval_id), 0)",
            $"CREATE INDEX \"{_prefix}approval_approvers_expires\" ON {_approvers} (approver, expires_at, approval_id)",
            $"CREATE INDEX \"{_prefix}approval_approvers_tenant_expires\" ON {_approvers} (approver, tenant_id, expires_at, approval_id)",
            $"DROP TRIGGER \"{_prefix}approvals_approvers_insert\"",
            $"DROP TRIGGER \"{_prefix}approvals_approvers_update\"",
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_insert" AFTER INSERT ON {_approvals}
            WHEN new.status = 0 AND new.approvers IS NOT NULL
            BEGIN
                INSERT INTO {_approvers} (approver, tenant_id, created_at, expires_at, approval_id) SELECT DISTINCT value, new.tenant_id, new.created_at, new.expires_at, new.id FROM json_each(new.approvers);
            END
            """,
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_update" AFTER UPDATE ON {_approvals}
            WHEN old.status IS NOT new.status OR old.approvers IS NOT new.approvers OR old.tenant_id IS NOT new.tenant_id OR old.created_at IS NOT new.created_at
                OR old.expires_at IS NOT new.expires_at OR old.id IS NOT new.id
            BEGIN
                DELETE FROM {_approvers} WHERE approval_id = old.id;
                INSERT INTO {_approvers} (approver, tenant_id, created_at, expires_at, approval_id) SELECT DISTINCT value, new.tenant_id, new.created_at, new.expires_at, new.id FROM json_each(new.approvers) WHERE new.status = 0 AND new.approvers IS NOT NULL;
            END
            """),
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };
}
