using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// An <see cref="IStateStore"/> in PostgreSQL, for many app servers sharing one database. Every change is a compare-and-swap on
/// the version column (<c>UPDATE ... WHERE id = @id AND version = @expected</c>), so racing servers get exactly one winner.
/// </summary>
/// <remarks>
/// <para>
/// The store creates and upgrades its own tables on first use (or when <see cref="InitializeAsync"/> is called), under an
/// advisory lock so servers starting together take turns; it records the schema version and refuses a database written by a
/// newer version of this package.
/// </para>
/// <para>
/// <see cref="StateEntry.Data"/> is stored in a <c>text</c> column, byte for byte (not <c>jsonb</c>, which reorders keys), and so
/// is <see cref="StateEntry.History"/>, in a column of its own written once, when the entry is created, never by an update; times
/// as <c>timestamptz</c>, which keeps the whole milliseconds of <see cref="StateEntry"/> exactly. Ids sort by <c>COLLATE "C"</c>
/// (ordinal), like the other stores. Listing uses indexes on (created_at, id), (status, created_at, id),
/// (conversation_id, created_at, id), (tenant_id, created_at, id) and (tenant_id, status, created_at, id):
/// <see cref="StateQuery.TenantId"/> filters in the query,
/// and <see cref="StateQuery.Approver"/> reads one range per name of an approval_approvers table that triggers keep in step. Finished approvals are removed by age with <see cref="PurgeAsync"/>, their audit trails kept
/// (<see cref="IPurgeableStateStore"/>). Thread-safe; dispose it to close the connections it opened.
/// </para>
/// <para>
/// It also keeps call records (<see cref="ICallRecordStore"/>) in a table of their own (id, tool_name, tenant_id, recorded_at,
/// data), appended by one statement however many there are and listed oldest first with indexes on (recorded_at, id),
/// (tool_name, recorded_at, id) and (tenant_id, recorded_at, id), one short keyset query per page (never <c>OFFSET</c>), so reading
/// millions holds one page at a time; and standing grants (<see cref="IGrantStore"/>) in another (id, tool_name, tenant_id,
/// created_at, expires_at, revoked <c>boolean</c>, version, data), changed by compare-and-swap on version like approvals and listed
/// newest first with indexes on (created_at, id), (tool_name, created_at, id) and (tenant_id, created_at, id). Their times are kept
/// to the millisecond, the precision of the continuation tokens: a time given with a finer part loses it.
/// </para>
/// </remarks>
public sealed class PostgreSqlStateStore : IPurgeableStateStore, ICallRecordStore, IGrantStore, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this package writes and reads. A database with a newer version is refused.</summary>
    public const int SchemaVersion = 6;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly StoreTableNames _tables;
    private readonly RelationalSchemaInitializer _schema;
    private readonly RelationalPurgeRunner _purge;
    private readonly RelationalCallRecords _callRecords;
    private readonly RelationalGrants _grants;

    /// <inheritdoc />
    /// <value>Always <see langword="true"/>.</value>
    public bool StoresHistorySeparately => true;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStateStore"/> class over the database named by a connection string.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public PostgreSqlStateStore(string connectionString)
        : this(new PostgreSqlStateStoreOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStateStore"/> class.</summary>
    /// <param name="options">The settings; validated here, and copied.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public PostgreSqlStateStore(PostgreSqlStateStoreOptions options)
    {
        NpgsqlConnectionStringBuilder? builder = PostgreSqlOptionsValidation.Validate(options);
        if (options.DataSource is { } given)
        {
            _dataSource = given;
            builder = new NpgsqlConnectionStringBuilder(given.ConnectionString);
        }
        else
        {
            _dataSource = NpgsqlDataSource.Create(builder!);
            _ownsDataSource = true;
        }

        string describe = $"{builder!.Host ?? "(default host)"}:{builder.Port} (database '{builder.Database ?? builder.Username ?? "(default)"}')";
        TimeProvider time = options.TimeProvider ?? TimeProvider.System;
        _tables = new StoreTableNames(options.TablePrefix, options.Schema);
        _schema = new RelationalSchemaInitializer(new PostgreSqlSchemaDialect(_dataSource, _tables, describe, time));
        _purge = new RelationalPurgeRunner(new PostgreSqlPurgeDialect(OpenAsync, _tables), time);
        PostgreSqlRecordDialect records = new(OpenAsync, _tables);
        _callRecords = new RelationalCallRecords(records, _tables.CallRecords);
        _grants = new RelationalGrants(records, _tables.Grants);
    }

    /// <summary>
    /// Connects, and creates or upgrades the store's schema and tables; done once, and on first use if not called. Call it at
    /// startup to find an unreachable server, a refused login or a wrong schema version before the first approval.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="InvalidOperationException">The server cannot be reached, refuses the login, lacks the database or privileges, or holds a schema version this package does not know.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _schema.EnsureInitializedAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"INSERT INTO {_tables.Approvals} ({PostgreSqlEntryMapping.Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING");
        PostgreSqlEntryMapping.AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.History ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        PostgreSqlEntryMapping.AddTenant(command, entry);
        PostgreSqlEntryMapping.AddApprovers(command, entry);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => GetAsync(id, withHistory: true, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The conversation's column is not read (nor, when it is stored out of line, its TOAST rows).</remarks>
    public Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default) => GetAsync(id, withHistory: false, cancellationToken);

    private async Task<StateEntry?> GetAsync(string id, bool withHistory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"SELECT {(withHistory ? PostgreSqlEntryMapping.Columns : PostgreSqlEntryMapping.ColumnsWithoutHistory)} FROM {_tables.Approvals} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? PostgreSqlEntryMapping.ReadEntry(reader) : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        await InitializeAsync(cancellationToken).ConfigureAwait(false);

        // history is written once, by TryCreateAsync: whatever History this entry carries, the stored one stays.
        await using NpgsqlCommand command = _dataSource.CreateCommand($"""
            UPDATE {_tables.Approvals}
            SET conversation_id = $2, status = $3, created_at = $4, expires_at = $5, updated_at = $6, version = $7, data = $8, tenant_id = $10, approvers = $11
            WHERE id = $1 AND version = $9
            """);
        PostgreSqlEntryMapping.AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion });
        PostgreSqlEntryMapping.AddTenant(command, entry);
        PostgreSqlEntryMapping.AddApprovers(command, entry);
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

        // An approver's inbox holds pending approvals only: its query needs no status, and its names come last.
        IReadOnlyList<string> approvers = query.Approver is null ? [] : ApproverFilter.Names(query.Approver);
        bool byStatus = query.Status is not null && approvers.Count == 0;
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(BuildListSql(
            query.ConversationId is not null, byStatus, after is not null, query.CreatedFrom is not null, query.CreatedBefore is not null, query.TenantId is not null, approvers.Count,
            byDeadline, query.IncludeHistory));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.PageSize + 1 });
        if (query.TenantId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.TenantId, NpgsqlDbType = NpgsqlDbType.Text });
        }

        if (query.ConversationId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.ConversationId, NpgsqlDbType = NpgsqlDbType.Text });
        }

        if (query.Status is { } status && byStatus)
        {
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)status });
        }

        foreach (DateTimeOffset bound in new[] { query.CreatedFrom, query.CreatedBefore }.OfType<DateTimeOffset>())
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = bound.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        }

        if (after is { } position)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = position.At.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = position.Id, NpgsqlDbType = NpgsqlDbType.Text });
        }

        foreach (string name in approvers)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name, NpgsqlDbType = NpgsqlDbType.Text });
        }

        return await StatePageReader.ReadAsync(command, query.PageSize, PostgreSqlEntryMapping.ReadEntry, query.Order, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Works in batches of 500, each one transaction that skips rows other transactions hold, so several servers may purge at
    /// once. When the audit trail is kept, a record whose data cannot be read as an approval is left in place rather than lost.
    /// Pending approvals past their deadline become <see cref="ApprovalStatus.Expired"/> only when the <see cref="ApprovalService"/>
    /// next touches them; until then they are kept.
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

    /// <summary>Closes the connections the store opened (not those of a data source it was given).</summary>
    /// <returns>A task that completes when the connections are closed.</returns>
    public ValueTask DisposeAsync() => _ownsDataSource ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Closes the connections the store opened (not those of a data source it was given).</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    /// <summary>
    /// The listing query (positional parameters: limit, then tenant, conversation, status, earliest and latest creation, and the token's
    /// time and id, as used): keyset paging newest first, or soonest deadline first (<paramref name="byDeadline"/>), served by an index
    /// (<see cref="PostgreSqlListSql"/>). With <paramref name="approvers"/> names (the last parameters), an approver's inbox
    /// (<see cref="PostgreSqlInboxSql"/>), which takes no status.
    /// </summary>
    internal string BuildListSql(
        bool byConversation, bool byStatus, bool afterToken, bool createdFrom = false, bool createdBefore = false, bool byTenant = false, int approvers = 0, bool byDeadline = false,
        bool withHistory = true) =>
        approvers > 0
            ? PostgreSqlInboxSql.Build(_tables, approvers, byConversation, afterToken, createdFrom, createdBefore, byTenant, byDeadline, withHistory)
            : PostgreSqlListSql.Build(_tables, byConversation, byStatus, afterToken, createdFrom, createdBefore, byTenant, byDeadline, withHistory);

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }
}
