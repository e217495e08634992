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
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };
}
