using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <content>Creating and upgrading the store's tables, once per store object, safely when several processes start at once.</content>
public sealed partial class SqliteStateStore
{
    /// <summary>The schema version this package writes and reads. A file with a newer version is refused.</summary>
    public const int SchemaVersion = 3;

    /// <summary>
    /// Opens the database, switches it to WAL mode, and creates or upgrades the store's tables; done once, and on first use if not
    /// called. Call it at startup to find a wrong path or schema version before the first approval.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="InvalidOperationException">The file cannot be opened or written, or it holds a schema version this package does not know.</exception>
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
            // A failed attempt (file missing, locked, wrong version) is tried again by the next call.
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
        SqliteConnection connection;
        try
        {
            connection = await OpenRawAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SqliteException exception)
        {
            throw new InvalidOperationException(
                $"Cannot open the SQLite database '{_dataSource}' ({exception.Message}). Check that its directory exists and that this process may write there.", exception);
        }

        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL").ConfigureAwait(false);
                // BEGIN IMMEDIATE: processes starting together take turns, and each sees the schema the one before it left.
                await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
                await ExecuteAsync(connection, transaction, $"""
                    CREATE TABLE IF NOT EXISTS {_schemaVersions} (
                        version INTEGER NOT NULL PRIMARY KEY,
                        applied_at INTEGER NOT NULL,
                        description TEXT NOT NULL)
                    """).ConfigureAwait(false);
                await using SqliteCommand read = connection.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = $"SELECT COALESCE(MAX(version), 0) FROM {_schemaVersions}";
                long current = (long)(await read.ExecuteScalarAsync().ConfigureAwait(false))!;
                if (current > SchemaVersion)
                {
                    throw new InvalidOperationException(
                        $"The SQLite database '{_dataSource}' has HumanInLoop schema version {current} (tables '{_prefix}*'), but this version of HumanInLoop.Sqlite supports up to version {SchemaVersion}. Upgrade the HumanInLoop.Sqlite package, or point the store at another file or table prefix.");
                }

                for (int version = (int)current + 1; version <= SchemaVersion; version++)
                {
                    foreach (string statement in Migration(version))
                    {
                        await ExecuteAsync(connection, transaction, statement).ConfigureAwait(false);
                    }

                    await using SqliteCommand record = connection.CreateCommand();
                    record.Transaction = transaction;
                    record.CommandText = $"INSERT INTO {_schemaVersions} (version, applied_at, description) VALUES (@version, @at, @description)";
                    record.Parameters.AddWithValue("@version", version);
                    record.Parameters.AddWithValue("@at", _time.GetUtcNow().ToUnixTimeMilliseconds());
                    record.Parameters.AddWithValue("@description", MigrationDescription(version));
                    await record.ExecuteNonQueryAsync().ConfigureAwait(false);
                }

                await transaction.CommitAsync().ConfigureAwait(false);
            }
            catch (SqliteException exception)
            {
                throw new InvalidOperationException(
                    $"Cannot create or upgrade the HumanInLoop tables in the SQLite database '{_dataSource}' ({exception.Message}). Check that the file is a SQLite database this process may write.", exception);
            }
        }
    }

    private static string MigrationDescription(int version) => version switch
    {
        1 => "approvals, audit archive, listing and purge indexes",
        2 => "approvals: history column (the conversation, written once)",
        3 => "approval_history: new conversations in a table of their own, so a change to an approval does not rewrite them",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>The statements that take the schema from <paramref name="version"/> - 1 to <paramref name="version"/>; never changed once released.</summary>
    private string[] Migration(int version) => version switch
    {
        1 =>
        [
            $"""
            CREATE TABLE {_approvals} (
                id TEXT NOT NULL PRIMARY KEY,
                conversation_id TEXT NULL,
                status INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                version INTEGER NOT NULL,
                data TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}approvals_created\" ON {_approvals} (created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_created\" ON {_approvals} (status, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_conversation_created\" ON {_approvals} (conversation_id, created_at DESC, id DESC)",
            $"CREATE INDEX \"{_prefix}approvals_status_updated\" ON {_approvals} (status, updated_at)",
            $"""
            CREATE TABLE {_archive} (
                approval_id TEXT NOT NULL PRIMARY KEY,
                conversation_id TEXT NULL,
                final_status INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                archived_at INTEGER NOT NULL,
                audit_trail TEXT NOT NULL)
            """,
            $"CREATE INDEX \"{_prefix}audit_archive_archived\" ON {_archive} (archived_at)",
        ],

        // The conversation kept apart from data (StateEntry.History). Rows from version 1 keep it inside data, with history NULL.
        2 =>
        [
            $"ALTER TABLE {_approvals} ADD COLUMN history TEXT NULL",
        ],

        // SQLite rewrites a whole row on every update, a long text column included, so new conversations go to a table of their
        // own. Rows already written keep theirs in approvals.history, which is still read: a process still at version 2 keeps
        // reading the approvals it held, and one that writes the column after this migration loses nothing.
        3 =>
        [
            $"""
            CREATE TABLE {_history} (
                approval_id TEXT NOT NULL PRIMARY KEY,
                history TEXT NOT NULL)
            """,
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
