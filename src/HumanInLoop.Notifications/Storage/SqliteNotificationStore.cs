using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Notifications;

/// <summary>
/// An <see cref="INotificationStore"/> in a SQLite file: two small tables, which may live in the same file as the
/// <c>SqliteStateStore</c> (the default prefix <c>hil_</c> matches it).
/// </summary>
/// <remarks>
/// Tables <c>{prefix}notification_deliveries(delivery_key, delivered_at)</c> and
/// <c>{prefix}used_link_tokens(token_hash, used_at, expires_at)</c> are created on first use. A token is consumed by one
/// <c>INSERT ... ON CONFLICT DO NOTHING</c>, so exactly one of any number of racing uses (in any process on the machine)
/// wins. Only SHA-256 hashes of tokens are stored. Thread-safe: each operation uses its own pooled connection.
/// </remarks>
public sealed partial class SqliteNotificationStore : INotificationStore
{
    private readonly string _connectionString;
    private readonly string _deliveries;
    private readonly string _tokens;
    private readonly Lock _initLock = new();
    private Task? _initialization;

    /// <summary>Initializes a new instance of the <see cref="SqliteNotificationStore"/> class.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, for example <c>Data Source=approvals.db</c>.</param>
    /// <param name="tablePrefix">The prefix of the table names; letters, digits and underscores, at most 32 characters.</param>
    /// <exception cref="ArgumentException">The connection string names no file or is in-memory, or the prefix is not plain.</exception>
    public SqliteNotificationStore(string connectionString, string tablePrefix = "hil_")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(tablePrefix);
        SqliteConnectionStringBuilder builder = new(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource.Trim() == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException("The connection string must name a database file, for example \"Data Source=approvals.db\"; in-memory databases forget used links.", nameof(connectionString));
        }

        if (!PlainName().IsMatch(tablePrefix))
        {
            throw new ArgumentException($"Table prefix '{tablePrefix}' is not valid: use letters, digits and underscores, starting with a letter or underscore, at most 32 characters.", nameof(tablePrefix));
        }

        builder.DefaultTimeout = 30;
        _connectionString = builder.ToString();
        _deliveries = $"\"{tablePrefix}notification_deliveries\"";
        _tokens = $"\"{tablePrefix}used_link_tokens\"";
    }

    /// <inheritdoc />
    public async Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        return await ExistsAsync($"SELECT 1 FROM {_deliveries} WHERE delivery_key = @key", deliveryKey, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {_deliveries} (delivery_key, delivered_at) VALUES (@key, @at) ON CONFLICT (delivery_key) DO NOTHING";
        command.Parameters.AddWithValue("@key", deliveryKey);
        command.Parameters.AddWithValue("@at", deliveredAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {_tokens} (token_hash, used_at, expires_at) VALUES (@hash, @used, @expires) ON CONFLICT (token_hash) DO NOTHING";
        command.Parameters.AddWithValue("@hash", tokenHash);
        command.Parameters.AddWithValue("@used", usedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@expires", expiresAt.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        return await ExistsAsync($"SELECT 1 FROM {_tokens} WHERE token_hash = @key", tokenHash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes used-token records of tokens that expired before <paramref name="before"/> (they are refused as expired anyway) and delivery records older than it.</summary>
    /// <param name="before">The cut-off (UTC). Keep delivery records longer than the longest approval deadline, or pending approvals may be announced again.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many records were deleted.</returns>
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_tokens} WHERE expires_at < @before; DELETE FROM {_deliveries} WHERE delivered_at < @before;";
        command.Parameters.AddWithValue("@before", before.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ExistsAsync(string sql, string key, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@key", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Task initialization;
        lock (_initLock)
        {
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = InitializeAsync();
            }

            initialization = _initialization;
        }

        await initialization.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InitializeAsync()
    {
        await using SqliteConnection connection = await OpenRawAsync(CancellationToken.None).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS {_deliveries} (delivery_key TEXT NOT NULL PRIMARY KEY, delivered_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS {_tokens} (token_hash TEXT NOT NULL PRIMARY KEY, used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
            """;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        SqliteConnection connection = new(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using SqliteCommand pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 30000";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,31}$|^$")]
    private static partial Regex PlainName();
}
