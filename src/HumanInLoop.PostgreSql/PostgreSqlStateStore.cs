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
/// (conversation_id, created_at, id). Thread-safe; dispose it to close the connections it opened.
/// </para>
/// </remarks>
public sealed partial class PostgreSqlStateStore : IStateStore, IAsyncDisposable, IDisposable
{
    private const string Columns = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, history";

    /// <summary><see cref="Columns"/> with NULL for the history, for reads that do not need the conversation.</summary>
    private const string ColumnsWithoutHistory = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, NULL";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _describe;
    private readonly TimeProvider _time;
    private readonly string _schemaName;
    private readonly string _prefix;
    private readonly string _schema;
    private readonly string _approvals;
    private readonly string _archive;
    private readonly string _schemaVersions;
    private readonly Lock _initLock = new();
    private Task? _initialization;

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
        NpgsqlConnectionStringBuilder? builder = Validate(options);
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

        _describe = $"{builder!.Host ?? "(default host)"}:{builder.Port} (database '{builder.Database ?? builder.Username ?? "(default)"}')";
        _time = options.TimeProvider ?? TimeProvider.System;
        _schemaName = options.Schema;
        _prefix = options.TablePrefix;
        _schema = $"\"{options.Schema}\"";
        _approvals = $"{_schema}.\"{_prefix}approvals\"";
        _archive = $"{_schema}.\"{_prefix}audit_archive\"";
        _schemaVersions = $"{_schema}.\"{_prefix}schema_version\"";
    }

    /// <summary>Checks the options; returns the parsed connection string when one is used.</summary>
    internal static NpgsqlConnectionStringBuilder? Validate(PostgreSqlStateStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!StoreIdentifiers.IsPlain(options.Schema, allowEmpty: false, maxLength: 63))
        {
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.Schema '{options.Schema}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 63 characters (default 'public').",
                nameof(options));
        }

        if (!StoreIdentifiers.IsPlain(options.TablePrefix, allowEmpty: true, maxLength: 32))
        {
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.TablePrefix '{options.TablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters (default 'hil_').",
                nameof(options));
        }

        if (options.DataSource is not null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException(
                "PostgreSqlStateStoreOptions.ConnectionString is required (or set DataSource), for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                nameof(options));
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // The message of the parser never includes the password.
            throw new ArgumentException(
                $"PostgreSqlStateStoreOptions.ConnectionString is not a valid Npgsql connection string ({exception.Message}); expected for example \"Host=localhost;Database=app;Username=app;Password=...\".",
                nameof(options), exception);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("PostgreSqlStateStoreOptions.ConnectionString names no server; add \"Host=<name or address>\".", nameof(options));
        }

        return builder;
    }

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"INSERT INTO {_approvals} ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING");
        AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.History ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"SELECT {Columns} FROM {_approvals} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);

        // history is written once, by TryCreateAsync: whatever History this entry carries, the stored one stays.
        await using NpgsqlCommand command = _dataSource.CreateCommand($"""
            UPDATE {_approvals}
            SET conversation_id = $2, status = $3, created_at = $4, expires_at = $5, updated_at = $6, version = $7, data = $8
            WHERE id = $1 AND version = $9
            """);
        AddEntry(command, entry);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        (DateTimeOffset CreatedAt, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
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

        List<StateEntry> entries = new(Math.Min(query.PageSize + 1, 64));
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                entries.Add(ReadEntry(reader));
            }
        }

        string? next = null;
        if (entries.Count > query.PageSize)
        {
            entries.RemoveAt(entries.Count - 1);
            next = StateContinuationToken.Create(entries[^1]);
        }

        return new StatePage(entries, next);
    }

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
        return $"SELECT {Columns} FROM {_approvals}{filter} ORDER BY created_at DESC, id DESC LIMIT $1";
    }

    private static void AddEntry(NpgsqlCommand command, StateEntry entry)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)entry.Status });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.ExpiresAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.UpdatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.Version });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Data, NpgsqlDbType = NpgsqlDbType.Text });
    }

    /// <summary>Reads a row selected as <see cref="Columns"/>.</summary>
    private static StateEntry ReadEntry(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        (ApprovalStatus)reader.GetInt16(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetInt64(6),
        reader.GetString(7))
    {
        History = reader.IsDBNull(8) ? null : reader.GetString(8),
    };
}
