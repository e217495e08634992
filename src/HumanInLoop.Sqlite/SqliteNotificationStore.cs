using HumanInLoop.Notifications;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// An <see cref="INotificationStore"/> in a SQLite file: the delivery records and used approval links of
/// HumanInLoop.Notifications, in two small tables that may live in the same file as the <see cref="SqliteStateStore"/>.
/// </summary>
/// <remarks>
/// Tables <c>{prefix}notification_deliveries(delivery_key, delivered_at)</c>,
/// <c>{prefix}notification_claims(delivery_key, owner, lease_until)</c> and
/// <c>{prefix}used_link_tokens(token_hash, used_at, expires_at)</c> are created on first use. A token is consumed by one
/// <c>INSERT ... ON CONFLICT DO NOTHING</c>, so exactly one of any number of racing uses (in any process on the machine)
/// wins; a delivery is claimed by one <c>INSERT ... ON CONFLICT DO UPDATE ... WHERE</c> (free, expired or own claim), so of
/// several hosts on the file one sends a message. Only SHA-256 hashes of tokens are stored. Register it with <c>AddHumanInLoopSqliteNotificationStore</c>.
/// Thread-safe: each operation uses its own pooled connection.
/// </remarks>
public sealed class SqliteNotificationStore : INotificationStore
{
    private readonly SqliteConnectionFactory _connections;
    private readonly string _deliveries;
    private readonly string _tokens;
    private readonly string _claims;
    private readonly Lock _initLock = new();
    private Task? _initialization;

    /// <summary>Initializes a new instance of the <see cref="SqliteNotificationStore"/> class over the file named by a connection string.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, for example <c>Data Source=approvals.db</c>.</param>
    /// <exception cref="ArgumentException">The connection string names no file, or an in-memory or read-only database.</exception>
    public SqliteNotificationStore(string connectionString)
        : this(new SqliteNotificationStoreOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteNotificationStore"/> class.</summary>
    /// <param name="options">The settings; validated here, and copied.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public SqliteNotificationStore(SqliteNotificationStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connections = new SqliteConnectionFactory(options.ConnectionString, options.TablePrefix, options.BusyTimeout, nameof(SqliteNotificationStoreOptions));
        _deliveries = $"\"{options.TablePrefix}notification_deliveries\"";
        _tokens = $"\"{options.TablePrefix}used_link_tokens\"";
        _claims = $"\"{options.TablePrefix}notification_claims\"";
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
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {_deliveries} (delivery_key, delivered_at) VALUES (@key, @at) ON CONFLICT (delivery_key) DO NOTHING";
        command.Parameters.AddWithValue("@key", deliveryKey);
        command.Parameters.AddWithValue("@at", deliveredAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryClaimDeliveryAsync(string deliveryKey, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {_claims} (delivery_key, owner, lease_until) VALUES (@key, @owner, @until)
            ON CONFLICT (delivery_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
            WHERE {_claims}.owner = excluded.owner OR {_claims}.lease_until <= @now
            """;
        command.Parameters.AddWithValue("@key", deliveryKey);
        command.Parameters.AddWithValue("@owner", owner);
        command.Parameters.AddWithValue("@until", leaseUntil.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@now", now.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task ReleaseDeliveryClaimAsync(string deliveryKey, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_claims} WHERE delivery_key = @key AND owner = @owner";
        command.Parameters.AddWithValue("@key", deliveryKey);
        command.Parameters.AddWithValue("@owner", owner);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Deletes used-token records of tokens that expired before <paramref name="before"/> (they are refused as expired anyway), and delivery records and delivery claims older than it.</summary>
    /// <param name="before">The cut-off (UTC). Keep delivery records longer than the longest approval deadline, or pending approvals may be announced again.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many records were deleted.</returns>
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using SqliteWriteGate.Turn turn = await _connections.Writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_tokens} WHERE expires_at < @before; DELETE FROM {_deliveries} WHERE delivered_at < @before; DELETE FROM {_claims} WHERE lease_until < @before;";
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
        return await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InitializeAsync()
    {
        await using SqliteConnection connection = await _connections.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS {_deliveries} (delivery_key TEXT NOT NULL PRIMARY KEY, delivered_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS {_tokens} (token_hash TEXT NOT NULL PRIMARY KEY, used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS {_claims} (delivery_key TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, lease_until INTEGER NOT NULL);
            """;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
