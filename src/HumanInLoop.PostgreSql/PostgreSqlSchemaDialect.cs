using System.Data.Common;
using System.Net.Sockets;
using HumanInLoop.Internal;
using Npgsql;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The PostgreSQL statements of the store's schema, its numbered migration steps and its error messages, for
/// <see cref="RelationalSchemaInitializer"/>. Servers starting together take turns by a transaction-scoped advisory lock.
/// </summary>
/// <param name="dataSource">The store's data source.</param>
/// <param name="tables">The store's table names, in their schema.</param>
/// <param name="describe">The server and database, for messages (never the password).</param>
/// <param name="time">The clock that stamps applied versions.</param>
internal sealed class PostgreSqlSchemaDialect(NpgsqlDataSource dataSource, StoreTableNames tables, string describe, TimeProvider time)
    : RelationalSchemaDialect(tables)
{
    private readonly string _approvals = tables.Approvals;
    private readonly string _prefix = tables.Prefix;
    private readonly string _schemaName = tables.SchemaName!;
    private readonly string _approvers = PostgreSqlEntryMapping.ApproversTable(tables);
    private readonly string _sync = tables.Table("approvals_approvers_sync");

    // The names that may decide a stored pending record's calls, as version 5 fills them in: those named by each call awaiting a
    // decision ('' for a call that names nobody), never the marker of contradictory policies; distinct, ordinal order, NULL for none.
    // NUL cannot be text in PostgreSQL (json ->> refuses a record holding an escaped one anywhere), so the record is read with each
    // \u0000 escape made \u0001: the marker of contradictory policies is then chr(1) || 'no-common-approver'.
    private const string ApproversOfData = """
        (SELECT array_agg(DISTINCT name ORDER BY name) FROM (
            SELECT (CASE WHEN n IS NULL THEN '' ELSE n #>> '{}' END) COLLATE "C" AS name
            FROM json_array_elements(replace(data, '\u0000', '\u0001')::json -> 'calls') c
            LEFT JOIN LATERAL json_array_elements(CASE WHEN json_typeof(c -> 'approvers') = 'array' THEN c -> 'approvers' ELSE '[]'::json END) n ON true
            WHERE c ->> 'decision' = 'AwaitingApproval' AND (n IS NULL OR (json_typeof(n) = 'string' AND n #>> '{}' <> chr(1) || 'no-common-approver'))) names)
        """;

    /// <inheritdoc />
    public override int Version => PostgreSqlStateStore.SchemaVersion;

    /// <inheritdoc />
    public override string CreateVersionTable => $"""
        CREATE TABLE IF NOT EXISTS {Tables.SchemaVersions} (
            version integer NOT NULL PRIMARY KEY,
            applied_at timestamptz NOT NULL,
            description text NOT NULL)
        """;

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync() => await dataSource.OpenConnectionAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public override string? DescribeConnectFailure(Exception exception) => exception switch
    {
        PostgresException { SqlState: "28P01" or "28000" } postgres =>
            $"PostgreSQL at {describe} refused the login ({postgres.MessageText}). Check the user name and password in the connection string.",
        PostgresException { SqlState: "3D000" } =>
            $"The database named in the connection string does not exist on the PostgreSQL server at {describe}. Create it first (CREATE DATABASE), then start again.",
        PostgresException postgres =>
            $"PostgreSQL at {describe} refused the connection: {postgres.MessageText} (SQLSTATE {postgres.SqlState}).",
        NpgsqlException or SocketException or TimeoutException =>
            $"Cannot reach the PostgreSQL server at {describe} ({exception.GetBaseException().Message}). Check that the server is running and reachable and that Host and Port in the connection string are right.",
        _ => null,
    };

    /// <inheritdoc />
    public override async Task<DbTransaction> BeginUpgradeAsync(DbConnection connection)
    {
        NpgsqlConnection npgsql = (NpgsqlConnection)connection;
        NpgsqlTransaction transaction = await npgsql.BeginTransactionAsync().ConfigureAwait(false);

        try
        {
            // Servers starting together take turns; each sees the schema the one before it left.
            await using (NpgsqlCommand command = new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", npgsql, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"HumanInLoop.PostgreSql schema {_schemaName}.{_prefix}" });
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            bool schemaExists;
            await using (NpgsqlCommand command = new("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", npgsql, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schemaName });
                schemaExists = (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
            }

            if (!schemaExists)
            {
                await connection.ExecuteAsync(transaction, $"CREATE SCHEMA IF NOT EXISTS {Tables.Schema}").ConfigureAwait(false);
            }
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return transaction;
    }

    /// <inheritdoc />
    public override async Task RecordVersionAsync(DbConnection connection, DbTransaction transaction, int version, string description)
    {
        await using NpgsqlCommand record = new(
            $"INSERT INTO {Tables.SchemaVersions} (version, applied_at, description) VALUES ($1, $2, $3)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
        record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow().ToUniversalTime() });
        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = description });
        await record.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string DescribeNewerSchema(long found) =>
        $"The PostgreSQL database at {describe} has HumanInLoop schema version {found} (tables {_schemaName}.{_prefix}*), but this version of HumanInLoop.PostgreSql supports up to version {Version}. Upgrade the HumanInLoop.PostgreSql package on every server, or point the store at another schema or table prefix.";

    /// <inheritdoc />
    public override string? DescribeUpgradeFailure(DbException exception) => exception is PostgresException postgres
        ? $"Cannot create or upgrade the HumanInLoop tables in schema '{_schemaName}' of the PostgreSQL database at {describe}: {postgres.MessageText} (SQLSTATE {postgres.SqlState}). The role needs CREATE on the database (for a new schema) or on the schema."
        : null;

    /// <inheritdoc />
    public override SchemaMigration Migration(int version) => version switch
    {
        // text, not jsonb: jsonb reorders keys and drops duplicates, and the data must come back byte for byte.
        1 => new(
            "approvals, audit archive, listing and purge indexes",
            $"""
            CREATE TABLE {_approvals} (
                id text COLLATE "C" NOT NULL PRIMARY KEY,
                conversation_id text NULL,
                status smallint NOT NULL,
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                version bigint NOT NULL,
                data text NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}approvals_created\" ON {_approvals} (created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_created\" ON {_approvals} (status, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_conversation_created\" ON {_approvals} (conversation_id, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_updated\" ON {_approvals} (status, updated_at)",
            $"""
            CREATE TABLE {Tables.AuditArchive} (
                approval_id text COLLATE "C" NOT NULL PRIMARY KEY,
                conversation_id text NULL,
                final_status smallint NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                archived_at timestamptz NOT NULL,
                audit_trail text NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}audit_archive_archived\" ON {Tables.AuditArchive} (archived_at)"),

        // The conversation kept apart from data (StateEntry.History), text like data so it comes back byte for byte. Rows from
        // version 1 keep it inside data, with history NULL. Adding a nullable column without a default rewrites no rows.
        2 => new(
            "approvals: history column (the conversation, written once)",
            $"ALTER TABLE {_approvals} ADD COLUMN history text NULL"),

        // Call records (ICallRecordStore) and standing grants (IGrantStore): new tables, nothing else changes, so a server still at
        // version 2 keeps working on the same schema. Ids sort by "C" (ordinal) for the keyset paging; data is text, like approvals'.
        3 => new(
            "call_records and grants: the calls the gate judged without holding them, and standing grants",
            $"""
            CREATE TABLE {Tables.CallRecords} (
                id text COLLATE "C" NOT NULL PRIMARY KEY,
                tool_name text NOT NULL,
                tenant_id text NULL,
                recorded_at timestamptz NOT NULL,
                data text NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}call_records_recorded\" ON {Tables.CallRecords} (recorded_at, id)",
            $"CREATE INDEX \"{_prefix}call_records_tool_recorded\" ON {Tables.CallRecords} (tool_name, recorded_at, id)",
            $"CREATE INDEX \"{_prefix}call_records_tenant_recorded\" ON {Tables.CallRecords} (tenant_id, recorded_at, id)",
            $"""
            CREATE TABLE {Tables.Grants} (
                id text COLLATE "C" NOT NULL PRIMARY KEY,
                tool_name text NOT NULL,
                tenant_id text NULL,
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL,
                revoked boolean NOT NULL,
                version bigint NOT NULL,
                data text NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}grants_created\" ON {Tables.Grants} (created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}grants_tool_created\" ON {Tables.Grants} (tool_name, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}grants_tenant_created\" ON {Tables.Grants} (tenant_id, created_at DESC, id DESC)"),
        // Tenant isolation: the tenant of each approval as a column, filled from the stored record (its context), with indexes that
        // keep a tenant's listing (all, or by status) one range scan. Filled in one statement; should a row's data not be JSON (a
        // cast error), row by row instead, leaving NULL in what cannot be read: no tenant sees such a row.
        4 => new(
            "approvals: tenant_id column (backfilled from the stored context) and tenant listing indexes",
            $"ALTER TABLE {_approvals} ADD COLUMN tenant_id text NULL",
            $"""
            DO $backfill$
            DECLARE r record;
            BEGIN
                BEGIN
                    UPDATE {_approvals} SET tenant_id = (data::json -> 'context') ->> 'tenantId';
                EXCEPTION WHEN others THEN
                    FOR r IN SELECT id FROM {_approvals} LOOP
                        BEGIN
                            UPDATE {_approvals} SET tenant_id = (data::json -> 'context') ->> 'tenantId' WHERE id = r.id;
                        EXCEPTION WHEN others THEN
                            NULL;
                        END;
                    END LOOP;
                END;
            END
            $backfill$
            """,
            $"CREATE INDEX \"{_prefix}approvals_tenant_created\" ON {_approvals} (tenant_id, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_tenant_status_created\" ON {_approvals} (tenant_id, status, created_at DESC, id DESC)"),
        // Who may decide each pending approval (StateEntry.Approvers, for StateQuery.Approver): a text[] on the approval, filled from
        // the calls of each stored pending record (row by row, leaving NULL, should a record not be JSON), and one row per name in a
        // table of its own that a trigger keeps in step with the approvals (rows only while pending), so that an approver's inbox is
        // one index range per name. A server still at version 4 writes no approvers: the trigger still drops what it decides.
        5 => new(
            "approvals: approvers column (who may decide, backfilled from the stored calls) and approval_approvers, kept by a trigger, with its listing indexes",
            $"ALTER TABLE {_approvals} ADD COLUMN approvers text[] NULL",
            $"""
            DO $backfill$
            DECLARE r record;
            BEGIN
                BEGIN
                    UPDATE {_approvals} SET approvers = {ApproversOfData} WHERE status = 0;
                EXCEPTION WHEN others THEN
                    FOR r IN SELECT id FROM {_approvals} WHERE status = 0 LOOP
                        BEGIN
                            UPDATE {_approvals} SET approvers = {ApproversOfData} WHERE id = r.id;
                        EXCEPTION WHEN others THEN
                            NULL;
                        END;
                    END LOOP;
                END;
            END
            $backfill$
            """,
            $"""
            CREATE TABLE {_approvers} (
                approver text COLLATE "C" NOT NULL,
                tenant_id text NULL,
                created_at timestamptz NOT NULL,
                approval_id text COLLATE "C" NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}approval_approvers_created\" ON {_approvers} (approver, created_at DESC, approval_id DESC)",
            $"CREATE INDEX \"{_prefix}approval_approvers_tenant_created\" ON {_approvers} (approver, tenant_id, created_at DESC, approval_id DESC)",
            $"CREATE INDEX \"{_prefix}approval_approvers_approval\" ON {_approvers} (approval_id)",
            $"INSERT INTO {_approvers} (approver, tenant_id, created_at, approval_id) SELECT DISTINCT n, a.tenant_id, a.created_at, a.id FROM {_approvals} a, unnest(a.approvers) AS n WHERE a.status = 0",
            $"""
            CREATE FUNCTION {_sync}() RETURNS trigger LANGUAGE plpgsql AS $sync$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    DELETE FROM {_approvers} WHERE approval_id = OLD.id;
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.status = 0 AND NEW.approvers IS NOT NULL THEN
                    INSERT INTO {_approvers} (approver, tenant_id, created_at, approval_id)
                    SELECT DISTINCT n, NEW.tenant_id, NEW.created_at, NEW.id FROM unnest(NEW.approvers) AS n;
                END IF;
                RETURN NULL;
            END
            $sync$
            """,
            $"CREATE TRIGGER \"{_prefix}approvals_approvers_insert_delete\" AFTER INSERT OR DELETE ON {_approvals} FOR EACH ROW EXECUTE FUNCTION {_sync}()",
            $"""
            CREATE TRIGGER "{_prefix}approvals_approvers_update" AFTER UPDATE ON {_approvals} FOR EACH ROW
            WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.approvers IS DISTINCT FROM NEW.approvers OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
                OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.id IS DISTINCT FROM NEW.id)
            EXECUTE FUNCTION {_sync}()
            """),
        6 => PostgreSqlDeadlineMigration.Create(Tables),
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };
}
