using System.Net.Sockets;
using Npgsql;

namespace HumanInLoop.PostgreSql;

/// <content>Creating and upgrading the store's tables, once per store object, safely when several servers start at once.</content>
public sealed partial class PostgreSqlStateStore
{
    /// <summary>The schema version this package writes and reads. A database with a newer version is refused.</summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// Connects, and creates or upgrades the store's schema and tables; done once, and on first use if not called. Call it at
    /// startup to find an unreachable server, a refused login or a wrong schema version before the first approval.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="InvalidOperationException">The server cannot be reached, refuses the login, lacks the database or privileges, or holds a schema version this package does not know.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => EnsureInitializedAsync(cancellationToken);

    private Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        Task? initialization = Volatile.Read(ref _initialization);
        if (initialization is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_initLock)
        {
            // A failed attempt (server down, wrong version) is tried again by the next call.
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = Task.Run(InitializeCoreAsync, CancellationToken.None);
            }

            initialization = _initialization;
        }

        return initialization.WaitAsync(cancellationToken);
    }

    private async Task InitializeCoreAsync()
    {
        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            throw new InvalidOperationException(DescribeConnectFailure(exception), exception);
        }

        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);

                // Servers starting together take turns; each sees the schema the one before it left.
                await using (NpgsqlCommand command = new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"HumanInLoop.PostgreSql schema {_schemaName}.{_prefix}" });
                    await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                bool schemaExists;
                await using (NpgsqlCommand command = new("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", connection, transaction))
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schemaName });
                    schemaExists = (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
                }

                if (!schemaExists)
                {
                    await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {_schema}").ConfigureAwait(false);
                }

                await ExecuteAsync(connection, transaction, $"""
                    CREATE TABLE IF NOT EXISTS {_schemaVersions} (
                        version integer NOT NULL PRIMARY KEY,
                        applied_at timestamptz NOT NULL,
                        description text NOT NULL)
                    """).ConfigureAwait(false);
                int current;
                await using (NpgsqlCommand command = new($"SELECT COALESCE(MAX(version), 0) FROM {_schemaVersions}", connection, transaction))
                {
                    current = (int)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
                }

                if (current > SchemaVersion)
                {
                    throw new InvalidOperationException(
                        $"The PostgreSQL database at {_describe} has HumanInLoop schema version {current} (tables {_schemaName}.{_prefix}*), but this version of HumanInLoop.PostgreSql supports up to version {SchemaVersion}. Upgrade the HumanInLoop.PostgreSql package on every server, or point the store at another schema or table prefix.");
                }

                for (int version = current + 1; version <= SchemaVersion; version++)
                {
                    foreach (string statement in Migration(version))
                    {
                        await ExecuteAsync(connection, transaction, statement).ConfigureAwait(false);
                    }

                    await using NpgsqlCommand record = new($"INSERT INTO {_schemaVersions} (version, applied_at, description) VALUES ($1, $2, $3)", connection, transaction);
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
                    record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _time.GetUtcNow().ToUniversalTime() });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = MigrationDescription(version) });
                    await record.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                await transaction.CommitAsync().ConfigureAwait(false);
            }
            catch (PostgresException exception)
            {
                throw new InvalidOperationException(
                    $"Cannot create or upgrade the HumanInLoop tables in schema '{_schemaName}' of the PostgreSQL database at {_describe}: {exception.MessageText} (SQLSTATE {exception.SqlState}). The role needs CREATE on the database (for a new schema) or on the schema.",
                    exception);
            }
        }
    }

    private string DescribeConnectFailure(Exception exception) => exception switch
    {
        PostgresException { SqlState: "28P01" or "28000" } =>
            $"PostgreSQL at {_describe} refused the login ({((PostgresException)exception).MessageText}). Check the user name and password in the connection string.",
        PostgresException { SqlState: "3D000" } =>
            $"The database named in the connection string does not exist on the PostgreSQL server at {_describe}. Create it first (CREATE DATABASE), then start again.",
        PostgresException postgres =>
            $"PostgreSQL at {_describe} refused the connection: {postgres.MessageText} (SQLSTATE {postgres.SqlState}).",
        _ =>
            $"Cannot reach the PostgreSQL server at {_describe} ({exception.GetBaseException().Message}). Check that the server is running and reachable and that Host and Port in the connection string are right.",
    };

    private static string MigrationDescription(int version) => version switch
    {
        1 => "approvals, audit archive, listing and purge indexes",
        2 => "approvals: history column (the conversation, written once)",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>The statements that take the schema from <paramref name="version"/> - 1 to <paramref name="version"/>; never changed once released.</summary>
    private string[] Migration(int version) => version switch
    {
        1 =>
        [
            // text, not jsonb: jsonb reorders keys and drops duplicates, and the data must come back byte for byte.
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
            CREATE TABLE {_archive} (
                approval_id text COLLATE "C" NOT NULL PRIMARY KEY,
                conversation_id text NULL,
                final_status smallint NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                archived_at timestamptz NOT NULL,
                audit_trail text NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}audit_archive_archived\" ON {_archive} (archived_at)",
        ],

        // The conversation kept apart from data (StateEntry.History), text like data so it comes back byte for byte. Rows from
        // version 1 keep it inside data, with history NULL. Adding a nullable column without a default rewrites no rows.
        2 =>
        [
            $"ALTER TABLE {_approvals} ADD COLUMN history text NULL",
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using NpgsqlCommand command = new(sql, connection, transaction);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
