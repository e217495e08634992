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
/// (ordinal), like the other stores. Listing uses indexes on (created_at, id), (status, created_at, id) and
/// (conversation_id, created_at, id). Finished approvals are removed by age with <see cref="PurgeAsync"/>, their audit trails kept
/// (<see cref="IPurgeableStateStore"/>). Thread-safe; dispose it to close the connections it opened.
/// </para>
/// </remarks>
public sealed class PostgreSqlStateStore : IPurgeableStateStore, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this package writes and reads. A database with a newer version is refused.</summary>
    public const int SchemaVersion = 2;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly StoreTableNames _tables;
    private readonly RelationalSchemaInitializer _schema;
    private readonly RelationalPurgeRunner _purge;

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
            $"INSERT INTO {_tables.Approvals} ({PostgreSqlEntryMapping.Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING");
        PostgreSqlEntryMapping.AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.History ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"SELECT {PostgreSqlEntryMapping.Columns} FROM {_tables.Approvals} WHERE id = $1");
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
            SET conversation_id = $2, status = $3, created_at = $4, expires_at = $5, updated_at = $6, version = $7, data = $8
            WHERE id = $1 AND version = $9
            """);
        PostgreSqlEntryMapping.AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        (DateTimeOffset CreatedAt, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(BuildListSql(query.ConversationId is not null, query.Status is not null, after is not null));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.PageSize + 1 });
        if (query.ConversationId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.ConversationId, NpgsqlDbType = NpgsqlDbType.Text });
        }

        if (query.Status is { } status)
        {
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)status });
        }

        if (after is { } position)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = position.CreatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = position.Id, NpgsqlDbType = NpgsqlDbType.Text });
        }

        return await StatePageReader.ReadAsync(command, query.PageSize, PostgreSqlEntryMapping.ReadEntry, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The listing query (positional parameters: limit, then conversation, status, created_at and id as used): keyset paging newest first, served by an index.</summary>
    internal string BuildListSql(bool byConversation, bool byStatus, bool afterToken)
    {
        List<string> where = [];
        int parameter = 2;
        if (byConversation)
        {
            where.Add($"conversation_id = ${parameter++}");
        }

        if (byStatus)
        {
            where.Add($"status = ${parameter++}");
        }

        if (afterToken)
        {
            where.Add($"(created_at, id) < (${parameter}, ${parameter + 1})");
        }

        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        return $"SELECT {PostgreSqlEntryMapping.Columns} FROM {_tables.Approvals}{filter} ORDER BY created_at DESC, id DESC LIMIT $1";
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }
}
