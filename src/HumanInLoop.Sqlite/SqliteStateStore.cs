using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// An <see cref="IStateStore"/> in one SQLite file: approvals survive restarts, and several processes on one machine may
/// share the file. Every change is a compare-and-swap on the version column (<c>UPDATE ... WHERE id = @id AND version = @expected</c>).
/// </summary>
/// <remarks>
/// <para>
/// The store creates and upgrades its own tables on first use (or when <see cref="InitializeAsync"/> is called), records the
/// schema version, and refuses a file written by a newer version of this package. The file is switched to WAL mode so that
/// readers never block the single writer; writers wait up to <see cref="SqliteStateStoreOptions.BusyTimeout"/> for each other.
/// </para>
/// <para>
/// <see cref="StateEntry.Data"/> is stored as text, byte for byte, and so is <see cref="StateEntry.History"/>, in a table of its
/// own (SQLite rewrites a whole row on any update), written once, when the entry is created, never by an update; times as Unix milliseconds (UTC). Listing uses indexes on
/// (created_at, id), (status, created_at, id), (conversation_id, created_at, id), (tenant_id, created_at, id) and
/// (tenant_id, status, created_at, id), and for <see cref="StateOrder.SoonestDeadlineFirst"/> (status, expires_at, id) and
/// (tenant_id, status, expires_at, id): <see cref="StateQuery.TenantId"/> filters in the query,
/// and <see cref="StateQuery.Approver"/> reads one range per name of an approval_approvers table that triggers keep in step. Thread-safe: each operation uses its own
/// pooled connection. Finished approvals are removed by age with <see cref="PurgeAsync"/>, their audit trails kept
/// (<see cref="IPurgeableStateStore"/>). Use the PostgreSQL store when several machines share the approvals.
/// </para>
/// <para>
/// It also keeps call records (<see cref="ICallRecordStore"/>) in a table of their own (id, tool_name, tenant_id, recorded_at,
/// data), appended in one transaction and listed oldest first with indexes on (recorded_at, id), (tool_name, recorded_at, id) and
/// (tenant_id, recorded_at, id); and standing grants (<see cref="IGrantStore"/>) in another (id, tool_name, tenant_id, created_at,
/// expires_at, revoked as 0 or 1, version, data), changed by compare-and-swap on version like approvals and listed newest first with
/// indexes on (created_at, id), (tool_name, created_at, id) and (tenant_id, created_at, id). Their times too are Unix milliseconds:
/// a time given with a finer part is kept to the millisecond.
/// </para>
/// </remarks>
public sealed class SqliteStateStore : IPurgeableStateStore, ICallRecordStore, IGrantStore
{
    /// <summary>The schema version this package writes and reads. A file with a newer version is refused.</summary>
    public const int SchemaVersion = 7;

    private readonly SqliteConnectionFactory _connections;
    private readonly StoreTableNames _tables;
    private readonly string _history;
    private readonly RelationalSchemaInitializer _schema;
    private readonly RelationalPurgeRunner _purge;
    private readonly RelationalCallRecords _callRecords;
    private readonly RelationalGrants _grants;

    /// <inheritdoc />
    /// <value>Always <see langword="true"/>.</value>
    public bool StoresHistorySeparately => true;

    /// <summary>Initializes a new instance of the <see cref="SqliteStateStore"/> class over the database named by a connection string.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, for example <c>Data Source=approvals.db</c>.</param>
    /// <exception cref="ArgumentException">The connection string is empty, malformed, in-memory or read-only.</exception>
    public SqliteStateStore(string connectionString)
        : this(new SqliteStateStoreOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteStateStore"/> class.</summary>
    /// <param name="options">The settings; validated here, and copied.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public SqliteStateStore(SqliteStateStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connections = new SqliteConnectionFactory(options);
        TimeProvider time = options.TimeProvider ?? TimeProvider.System;
        _tables = new StoreTableNames(options.TablePrefix);
        _history = SqliteEntryMapping.HistoryTable(_tables);
        _schema = new RelationalSchemaInitializer(new SqliteSchemaDialect(_connections.OpenAsync, _tables, _connections.DataSource, time));
        _purge = new RelationalPurgeRunner(new SqlitePurgeDialect(OpenAsync, _tables), time);
        SqliteRecordDialect records = new(OpenAsync, _tables, _connections.Writes);
        _callRecords = new RelationalCallRecords(records, _tables.CallRecords);
        _grants = new RelationalGrants(records, _tables.Grants);
    }

    /// <summary>
    /// Opens the database, switches it to WAL mode, and creates or upgrades the store's tables; done once, and on first use if not
    /// called. Call it at startup to find a wrong path or schema version before the first approval.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="InvalidOperationException">The file cannot be opened or written, or it holds a schema version this package does not know.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _schema.EnsureInitializedAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);

        // With a conversation, the record and its history are one transaction (one commit): both are stored, or neither.
        await using SqliteTransaction? transaction = entry.History is null ? null : connection.BeginTransaction(deferred: false);
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {_tables.Approvals} ({SqliteEntryMapping.EntryColumns}) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data, @tenant, @approvers) ON CONFLICT (id) DO NOTHING";
        SqliteEntryMapping.AddEntry(command, entry);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            return false;
        }

        if (transaction is not null)
        {
            // A history left behind by a row deleted outside the store belongs to no approval: the new one replaces it.
            await using SqliteCommand history = connection.CreateCommand();
            history.Transaction = transaction;
            history.CommandText = $"INSERT INTO {_history} (approval_id, history) VALUES (@id, @history) ON CONFLICT (approval_id) DO UPDATE SET history = excluded.history";
            history.Parameters.AddWithValue("@id", entry.Id);
            history.Parameters.AddWithValue("@history", entry.History);
            await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <inheritdoc />
    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => GetAsync(id, withHistory: true, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The conversation's table is not read.</remarks>
    public Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default) => GetAsync(id, withHistory: false, cancellationToken);

    private async Task<StateEntry?> GetAsync(string id, bool withHistory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteEntryMapping.From(_tables, withHistory)} WHERE a.id = @id";
        command.Parameters.AddWithValue("@id", id);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);

        // SQLite binds a lone surrogate as U+FFFD, so an id that cannot have been stored could match another: only the same id counts.
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && SqliteEntryMapping.ReadEntry(reader) is { } entry && string.Equals(entry.Id, id, StringComparison.Ordinal) ? entry : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();

        // The history is written once, by TryCreateAsync, in its own table: whatever History this entry carries, the stored one
        // stays, and this statement rewrites only the small record.
        command.CommandText = $"""
            UPDATE {_tables.Approvals}
            SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires,
                updated_at = @updated, version = @version, data = @data, tenant_id = @tenant, approvers = @approvers
            WHERE id = @id AND version = @expected
            """;
        SqliteEntryMapping.AddEntry(command, entry);
        command.Parameters.AddWithValue("@expected", expectedVersion);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        bool byDeadline = query.Order == StateOrder.SoonestDeadlineFirst;
        (DateTimeOffset At, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken, query.Order);
        if (ApproverFilter.MatchesNothing(query))
        {
            return new StatePage([], null);
        }

        IReadOnlyList<string> approvers = query.Approver is null ? [] : ApproverFilter.Names(query.Approver);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = BuildListSql(
            query.ConversationId is not null, query.Status is not null, after is not null, query.CreatedFrom is not null, query.CreatedBefore is not null, query.TenantId is not null,
            approvers.Count, byDeadline, query.IncludeHistory);
        command.Parameters.AddWithValue("@limit", query.PageSize + 1);
        for (int i = 0; i < approvers.Count; i++)
        {
            command.Parameters.AddWithValue($"@approver{i}", approvers[i]);
        }

        if (query.TenantId is not null)
        {
            command.Parameters.AddWithValue("@tenant", query.TenantId);
        }

        if (query.ConversationId is not null)
        {
            command.Parameters.AddWithValue("@conversation", query.ConversationId);
        }

        if (query.Status is { } status)
        {
            command.Parameters.AddWithValue("@status", (int)status);
        }

        // Entries are kept in whole milliseconds; a bound with a finer part selects what it would in memory.
        if (query.CreatedFrom is { } from)
        {
            command.Parameters.AddWithValue("@createdFrom", StoredValues.CeilingUnixMilliseconds(from));
        }

        if (query.CreatedBefore is { } before)
        {
            command.Parameters.AddWithValue("@createdBefore", StoredValues.CeilingUnixMilliseconds(before));
        }

        if (after is { } position)
        {
            command.Parameters.AddWithValue(byDeadline ? "@afterExpires" : "@afterCreated", position.At.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@afterId", position.Id);
        }

        return await StatePageReader.ReadAsync(command, query.PageSize, SqliteEntryMapping.ReadEntry, query.Order, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Works in batches of 500, each one transaction, so writers are held up only briefly. When the audit trail is kept, a record
    /// whose data cannot be read as an approval is left in place rather than lost. Pending approvals past their deadline become
    /// <see cref="ApprovalStatus.Expired"/> only when the <see cref="ApprovalService"/> next touches them; until then they are kept.
    /// </remarks>
    public Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default) =>
        _purge.PurgeAsync(olderThan, keepAuditTrail, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default) =>
        _purge.ReadArchivedAuditTrailAsync(approvalId, cancellationToken);

    /// <inheritdoc />
    public Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default) =>
        _callRecords.AppendAsync(entries, cancellationToken);

    /// <inheritdoc />
    public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default) =>
        _callRecords.ListAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default) => _grants.TryCreateAsync(entry, cancellationToken);

    /// <inheritdoc />
    public Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default) => _grants.GetAsync(id, cancellationToken);

    /// <inheritdoc />
    public Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
        _grants.TryUpdateAsync(entry, expectedVersion, cancellationToken);

    /// <inheritdoc />
    public Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default) => _grants.ListAsync(query, cancellationToken);

    /// <summary>
    /// The listing query: keyset paging newest first, or soonest deadline first (<paramref name="byDeadline"/>), served by an index
    /// whatever the filter (the deadline order: with a status, or an approver's inbox). See <see cref="SqliteListSql"/>.
    /// </summary>
    internal string BuildListSql(
        bool byConversation, bool byStatus, bool afterToken, bool createdFrom = false, bool createdBefore = false, bool byTenant = false, int approvers = 0, bool byDeadline = false,
        bool withHistory = true) =>
        approvers > 0
            ? SqliteInboxSql.Build(_tables, approvers, byConversation, afterToken, createdFrom, createdBefore, byTenant, byDeadline, withHistory)
            : SqliteListSql.Build(_tables, byConversation, byStatus, afterToken, createdFrom, createdBefore, byTenant, byDeadline, withHistory);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
    }
}
