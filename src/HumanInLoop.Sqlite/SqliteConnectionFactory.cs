using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// Checks a <see cref="SqliteStateStoreOptions"/> (or <see cref="SqliteNotificationStoreOptions"/>) once, when the store is created, and opens connections to its file with the
/// busy timeout set (without initializing the schema).
/// </summary>
internal sealed class SqliteConnectionFactory
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    /// <summary>Initializes a new instance of the <see cref="SqliteConnectionFactory"/> class.</summary>
    /// <param name="options">The settings; validated here, and copied.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public SqliteConnectionFactory(SqliteStateStoreOptions options)
        : this(options.ConnectionString, options.TablePrefix, options.BusyTimeout, nameof(SqliteStateStoreOptions))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteConnectionFactory"/> class from the settings of a store.</summary>
    /// <param name="connectionString">The connection string.</param>
    /// <param name="tablePrefix">The prefix of the table names.</param>
    /// <param name="busyTimeout">How long a command waits for the write lock.</param>
    /// <param name="optionsName">The options type, for messages.</param>
    /// <param name="paramName">The parameter the exception names.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public SqliteConnectionFactory(string? connectionString, string tablePrefix, TimeSpan busyTimeout, string optionsName, string paramName = "options")
    {
        SqliteConnectionStringBuilder connection = Validate(connectionString, optionsName);
        if (!StoreIdentifiers.IsPlain(tablePrefix, allowEmpty: true, maxLength: 32))
        {
            throw new ArgumentException(
                $"{optionsName}.TablePrefix '{tablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters (default 'hil_').",
                paramName);
        }

        if (busyTimeout <= TimeSpan.Zero || busyTimeout > TimeSpan.FromHours(24))
        {
            throw new ArgumentException($"{optionsName}.BusyTimeout must be more than zero and at most 24 hours; it is {busyTimeout}.", paramName);
        }

        _busyTimeoutMs = (int)Math.Ceiling(busyTimeout.TotalMilliseconds);

        // Microsoft.Data.Sqlite retries busy commands on its own until the command timeout; keep it in line with ours.
        connection.DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds);
        _connectionString = connection.ToString();
        DataSource = connection.DataSource;
        Writes = new SqliteWriteGate(connection.DataSource, busyTimeout);
    }

    /// <summary>Gets the database file, for messages.</summary>
    public string DataSource { get; }

    /// <summary>Gets the gate that every write to this file enters first (<see cref="SqliteWriteGate"/>).</summary>
    public SqliteWriteGate Writes { get; }

    /// <summary>Opens a connection with SQLite's busy handler set to the configured timeout.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The open connection.</returns>
    /// <remarks>
    /// The busy handler is set through SQLite's C API (<c>sqlite3_busy_timeout</c>) on every open, pooled or new: the same setting
    /// as <c>PRAGMA busy_timeout</c>, without preparing and running a statement for it on each operation (5-6 µs of each, measured
    /// in benchmarks/README.md, issue 18, goal 1). Setting it on each open rather than once per physical connection leaves nothing
    /// to track, and a pooled connection whose handler something else changed gets it back.
    /// </remarks>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        SqliteConnection connection = new(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            SetBusyTimeout(connection, _busyTimeoutMs);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sets SQLite's busy handler of an open connection to wait up to <paramref name="milliseconds"/> for a lock.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="milliseconds">The busy timeout.</param>
    /// <exception cref="SqliteException">SQLite refused the setting.</exception>
    private static void SetBusyTimeout(SqliteConnection connection, int milliseconds)
    {
        SQLitePCL.sqlite3 handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        int result = SQLitePCL.raw.sqlite3_busy_timeout(handle, milliseconds);
        SqliteException.ThrowExceptionForRC(result, handle);
    }

    private static SqliteConnectionStringBuilder Validate(string? connectionString, string optionsName)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException(
                $"{optionsName}.ConnectionString is required, for example \"Data Source=approvals.db\".", nameof(connectionString));
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException(
                $"{optionsName}.ConnectionString is not a valid SQLite connection string ({exception.Message}); expected for example \"Data Source=approvals.db\".",
                nameof(connectionString), exception);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new ArgumentException(
                $"{optionsName}.ConnectionString names no database file; add \"Data Source=<path>\", for example \"Data Source=approvals.db\".", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource.Trim() == ":memory:")
        {
            throw new ArgumentException(
                $"{optionsName}.ConnectionString names an in-memory database, which is lost when its last connection closes; name a file, or use InMemoryStateStore.", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException($"{optionsName}.ConnectionString opens the database read-only; the store must write (remove Mode=ReadOnly).", nameof(connectionString));
        }

        return builder;
    }
}
