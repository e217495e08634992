using HumanInLoop.Internal;
using HumanInLoop.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// An <see cref="INotificationStore"/> in PostgreSQL: the delivery records and used approval links of
/// HumanInLoop.Notifications, shared by every app server on the database (it may be the database of the
/// <see cref="PostgreSqlStateStore"/>).
/// </summary>
/// <remarks>
/// Tables <c>{schema}.{prefix}notification_deliveries(delivery_key, delivered_at)</c>,
/// <c>{schema}.{prefix}notification_claims(delivery_key, owner, lease_until)</c> and
/// <c>{schema}.{prefix}used_link_tokens(token_hash, used_at, expires_at)</c> are created on first use, under an advisory
/// lock so servers starting together take turns. A token is consumed by one <c>INSERT ... ON CONFLICT DO NOTHING</c>, so
/// exactly one of any number of racing uses (on any server) wins; a delivery is claimed by one
/// <c>INSERT ... ON CONFLICT DO UPDATE ... WHERE</c> (free, expired or own claim), so of several servers one sends a message. Only SHA-256 hashes of tokens are stored. Register it with
/// <c>AddHumanInLoopPostgreSqlNotificationStore</c>. Thread-safe; dispose it to close the connections it opened.
/// </remarks>
public sealed class PostgreSqlNotificationStore : INotificationStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly StoreTableNames _tables;
    private readonly string _deliveries;
    private readonly string _tokens;
    private readonly string _claims;
    private readonly Lock _initLock = new();
    private Task? _initialization;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlNotificationStore"/> class over the database named by a connection string.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public PostgreSqlNotificationStore(string connectionString)
        : this(new PostgreSqlNotificationStoreOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlNotificationStore"/> class.</summary>
    /// <param name="options">The settings; validated here, and copied.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and what to do.</exception>
    public PostgreSqlNotificationStore(PostgreSqlNotificationStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        NpgsqlConnectionStringBuilder? builder = PostgreSqlOptionsValidation.Validate(
            options.ConnectionString, options.DataSource, options.Schema, options.TablePrefix, nameof(PostgreSqlNotificationStoreOptions));
        if (options.DataSource is { } given)
        {
            _dataSource = given;
        }
        else
        {
            _dataSource = NpgsqlDataSource.Create(builder!);
            _ownsDataSource = true;
        }

        _tables = new StoreTableNames(options.TablePrefix, options.Schema);
        _deliveries = _tables.Table("notification_deliveries");
        _tokens = _tables.Table("used_link_tokens");
        _claims = _tables.Table("notification_claims");
    }

    /// <summary>Connects and creates the schema and tables if missing; done on first use if not called.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Task initialization;
        lock (_initLock)
        {
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = CreateTablesAsync();
            }

            initialization = _initialization;
        }

        return initialization.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        return await ExistsAsync($"SELECT 1 FROM {_deliveries} WHERE delivery_key = $1", deliveryKey, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"INSERT INTO {_deliveries} (delivery_key, delivered_at) VALUES ($1, $2) ON CONFLICT (delivery_key) DO NOTHING");
        command.Parameters.Add(Text(deliveryKey));
        command.Parameters.Add(Time(deliveredAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryClaimDeliveryAsync(string deliveryKey, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"""
            INSERT INTO {_claims} AS c (delivery_key, owner, lease_until) VALUES ($1, $2, $3)
            ON CONFLICT (delivery_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
            WHERE c.owner = excluded.owner OR c.lease_until <= $4
            """);
        command.Parameters.Add(Text(deliveryKey));
        command.Parameters.Add(Text(owner));
        command.Parameters.Add(Time(leaseUntil));
        command.Parameters.Add(Time(now));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task ReleaseDeliveryClaimAsync(string deliveryKey, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand($"DELETE FROM {_claims} WHERE delivery_key = $1 AND owner = $2");
        command.Parameters.Add(Text(deliveryKey));
        command.Parameters.Add(Text(owner));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(
            $"INSERT INTO {_tokens} (token_hash, used_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING");
        command.Parameters.Add(Text(tokenHash));
        command.Parameters.Add(Time(usedAt));
        command.Parameters.Add(Time(expiresAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        return await ExistsAsync($"SELECT 1 FROM {_tokens} WHERE token_hash = $1", tokenHash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes used-token records of tokens that expired before <paramref name="before"/> (they are refused as expired anyway), and delivery records and delivery claims older than it.</summary>
    /// <param name="before">The cut-off (UTC). Keep delivery records longer than the longest approval deadline, or pending approvals may be announced again.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many records were deleted.</returns>
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlBatch batch = _dataSource.CreateBatch();
        NpgsqlBatchCommand tokens = new($"DELETE FROM {_tokens} WHERE expires_at < $1");
        tokens.Parameters.Add(Time(before));
        NpgsqlBatchCommand deliveries = new($"DELETE FROM {_deliveries} WHERE delivered_at < $1");
        deliveries.Parameters.Add(Time(before));
        NpgsqlBatchCommand claims = new($"DELETE FROM {_claims} WHERE lease_until < $1");
        claims.Parameters.Add(Time(before));
        batch.BatchCommands.Add(tokens);
        batch.BatchCommands.Add(deliveries);
        batch.BatchCommands.Add(claims);
        return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connections the store opened (not those of a data source it was given).</summary>
    /// <returns>A task that completes when they are closed.</returns>
    public ValueTask DisposeAsync() => _ownsDataSource ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Closes the connections the store opened (not those of a data source it was given).</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    private async Task<bool> ExistsAsync(string sql, string key, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(Text(key));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task CreateTablesAsync()
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);

        // CREATE ... IF NOT EXISTS races with itself in PostgreSQL (a unique violation in the catalog): servers take turns.
        await using (NpgsqlCommand command = new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            command.Parameters.Add(Text($"HumanInLoop.PostgreSql notifications {_tables.SchemaName}.{_tables.Prefix}"));
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await using (NpgsqlCommand command = new($"""
            CREATE SCHEMA IF NOT EXISTS {_tables.Schema};
            CREATE TABLE IF NOT EXISTS {_deliveries} (delivery_key text COLLATE "C" NOT NULL PRIMARY KEY, delivered_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS {_tokens} (token_hash text COLLATE "C" NOT NULL PRIMARY KEY, used_at timestamptz NOT NULL, expires_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS {_claims} (delivery_key text COLLATE "C" NOT NULL PRIMARY KEY, owner text NOT NULL, lease_until timestamptz NOT NULL);
            """, connection, transaction))
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) => new() { TypedValue = value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
