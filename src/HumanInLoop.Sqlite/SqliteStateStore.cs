using System.Globalization;
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
/// (created_at, id), (status, created_at, id) and (conversation_id, created_at, id). Thread-safe: each operation uses its own
/// pooled connection. Use the PostgreSQL store when several machines share the approvals.
/// </para>
/// </remarks>
public sealed partial class SqliteStateStore : IStateStore
{
    private const string EntryColumns = "id, conversation_id, status, created_at, expires_at, updated_at, version, data";

    /// <summary>
    /// An entry's columns, read from <c>a</c> (approvals) joined with <c>h</c> (history): the conversation from its own table, or
    /// from the approvals column a process of schema version 2 may still write.
    /// </summary>
    private const string Columns =
        "a.id, a.conversation_id, a.status, a.created_at, a.expires_at, a.updated_at, a.version, a.data, COALESCE(h.history, a.history)";

    /// <summary><see cref="Columns"/> with NULL for the history, for reads that do not need the conversation.</summary>
    private const string ColumnsWithoutHistory = "a.id, a.conversation_id, a.status, a.created_at, a.expires_at, a.updated_at, a.version, a.data, NULL";

    private readonly string _connectionString;
    private readonly string _dataSource;
    private readonly int _busyTimeoutMs;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly string _approvals;
    private readonly string _archive;
    private readonly string _history;
    private readonly string _schemaVersions;
    private readonly Lock _initLock = new();
    private Task? _initialization;

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
        SqliteConnectionStringBuilder connection = ValidateConnectionString(options.ConnectionString);
        if (!StoreIdentifiers.IsPlain(options.TablePrefix, allowEmpty: true, maxLength: 32))
        {
            throw new ArgumentException(
                $"SqliteStateStoreOptions.TablePrefix '{options.TablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters (default 'hil_').",
                nameof(options));
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromHours(24))
        {
            throw new ArgumentException($"SqliteStateStoreOptions.BusyTimeout must be more than zero and at most 24 hours; it is {options.BusyTimeout}.", nameof(options));
        }

        _busyTimeoutMs = (int)Math.Ceiling(options.BusyTimeout.TotalMilliseconds);

        // Microsoft.Data.Sqlite retries busy commands on its own until the command timeout; keep it in line with ours.
        connection.DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        _connectionString = connection.ToString();
        _dataSource = connection.DataSource;
        _time = options.TimeProvider ?? TimeProvider.System;
        _prefix = options.TablePrefix;
        _approvals = $"\"{_prefix}approvals\"";
        _archive = $"\"{_prefix}audit_archive\"";
        _history = $"\"{_prefix}approval_history\"";
        _schemaVersions = $"\"{_prefix}schema_version\"";
    }

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // With a conversation, the record and its history are one transaction (one commit): both are stored, or neither.
        await using SqliteTransaction? transaction = entry.History is null ? null : connection.BeginTransaction(deferred: false);
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {_approvals} ({EntryColumns}) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data) ON CONFLICT (id) DO NOTHING";
        AddEntry(command, entry);
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
    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM {_approvals} a LEFT JOIN {_history} h ON h.approval_id = a.id WHERE a.id = @id";
        command.Parameters.AddWithValue("@id", id);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);

        // SQLite binds a lone surrogate as U+FFFD, so an id that cannot have been stored could match another: only the same id counts.
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && ReadEntry(reader) is { } entry && string.Equals(entry.Id, id, StringComparison.Ordinal) ? entry : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();

        // The history is written once, by TryCreateAsync, in its own table: whatever History this entry carries, the stored one
        // stays, and this statement rewrites only the small record.
        command.CommandText = $"""
            UPDATE {_approvals}
            SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires,
                updated_at = @updated, version = @version, data = @data
            WHERE id = @id AND version = @expected
            """;
        AddEntry(command, entry);
        command.Parameters.AddWithValue("@expected", expectedVersion);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        (DateTimeOffset CreatedAt, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = BuildListSql(query.ConversationId is not null, query.Status is not null, after is not null);
        command.Parameters.AddWithValue("@limit", query.PageSize + 1);
        if (query.ConversationId is not null)
        {
            command.Parameters.AddWithValue("@conversation", query.ConversationId);
        }

        if (query.Status is { } status)
        {
            command.Parameters.AddWithValue("@status", (int)status);
        }

        if (after is { } position)
        {
            command.Parameters.AddWithValue("@afterCreated", position.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@afterId", position.Id);
        }

        List<StateEntry> entries = new(Math.Min(query.PageSize + 1, 64));
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
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

    /// <summary>The listing query: keyset paging newest first, served by an index whatever the filter.</summary>
    internal string BuildListSql(bool byConversation, bool byStatus, bool afterToken)
    {
        List<string> where = [];
        if (byConversation)
        {
            where.Add("a.conversation_id = @conversation");
        }

        if (byStatus)
        {
            where.Add("a.status = @status");
        }

        if (afterToken)
        {
            where.Add("(a.created_at, a.id) < (@afterCreated, @afterId)");
        }

        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        return $"SELECT {Columns} FROM {_approvals} a LEFT JOIN {_history} h ON h.approval_id = a.id{filter} ORDER BY a.created_at DESC, a.id DESC LIMIT @limit";
    }

    private static void AddEntry(SqliteCommand command, StateEntry entry)
    {
        command.Parameters.AddWithValue("@id", entry.Id);
        command.Parameters.AddWithValue("@conversation", (object?)entry.ConversationId ?? DBNull.Value);
        command.Parameters.AddWithValue("@status", (int)entry.Status);
        command.Parameters.AddWithValue("@created", entry.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@expires", entry.ExpiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@updated", entry.UpdatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@version", entry.Version);
        command.Parameters.AddWithValue("@data", entry.Data);
    }

    /// <summary>Reads a row selected as <see cref="Columns"/>.</summary>
    private static StateEntry ReadEntry(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        (ApprovalStatus)reader.GetInt32(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        reader.GetInt64(6),
        reader.GetString(7))
    {
        History = reader.IsDBNull(8) ? null : reader.GetString(8),
    };

    private static SqliteConnectionStringBuilder ValidateConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException(
                "SqliteStateStoreOptions.ConnectionString is required, for example \"Data Source=approvals.db\".", nameof(connectionString));
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException(
                $"SqliteStateStoreOptions.ConnectionString is not a valid SQLite connection string ({exception.Message}); expected for example \"Data Source=approvals.db\".",
                nameof(connectionString), exception);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new ArgumentException(
                "SqliteStateStoreOptions.ConnectionString names no database file; add \"Data Source=<path>\", for example \"Data Source=approvals.db\".", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource.Trim() == ":memory:")
        {
            throw new ArgumentException(
                "SqliteStateStoreOptions.ConnectionString names an in-memory database, which is lost when its last connection closes; name a file, or use InMemoryStateStore.", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException("SqliteStateStoreOptions.ConnectionString opens the database read-only; the store must write (remove Mode=ReadOnly).", nameof(connectionString));
        }

        return builder;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        SqliteConnection connection = new(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // SQLite's own busy handler backs off in small steps; set per connection (pooled connections keep it).
            await using SqliteCommand pragma = connection.CreateCommand();
            pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMs}");
            pragma.CommandTimeout = 0;
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
