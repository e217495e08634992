using System.Data.Common;
using System.Globalization;

namespace HumanInLoop.Internal;

/// <summary>
/// Creates and upgrades a relational store's tables once per store object: the first call runs it, later calls wait for it, and a
/// failed attempt (database missing, locked, unreachable, newer schema) is tried again by the next call. The steps from the
/// recorded version to <see cref="RelationalSchemaDialect.Version"/> run in one transaction; a newer schema is refused.
/// Compiled into each store package.
/// </summary>
/// <remarks>Thread-safe.</remarks>
/// <param name="dialect">The store's statements and connections.</param>
internal sealed class RelationalSchemaInitializer(RelationalSchemaDialect dialect)
{
    private readonly Lock _lock = new();
    private Task? _initialization;

    /// <summary>Initializes the schema unless that was done already.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests (of this wait; the initialization itself runs on).</param>
    /// <returns>A task that completes when the store is ready.</returns>
    /// <exception cref="InvalidOperationException">The database cannot be reached or written, or holds a newer schema.</exception>
    public Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        Task? initialization = Volatile.Read(ref _initialization);
        if (initialization is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            // A failed attempt is tried again by the next call.
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = Task.Run(InitializeAsync, CancellationToken.None);
            }

            initialization = _initialization;
        }

        return initialization.WaitAsync(cancellationToken);
    }

    private async Task InitializeAsync()
    {
        DbConnection connection;
        try
        {
            connection = await dialect.OpenAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (dialect.DescribeConnectFailure(exception) is { } message)
        {
            throw new InvalidOperationException(message, exception);
        }

        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await UpgradeAsync(connection).ConfigureAwait(false);
            }
            catch (DbException exception) when (dialect.DescribeUpgradeFailure(exception) is { } message)
            {
                throw new InvalidOperationException(message, exception);
            }
        }
    }

    private async Task UpgradeAsync(DbConnection connection)
    {
        await using DbTransaction transaction = await dialect.BeginUpgradeAsync(connection).ConfigureAwait(false);
        await connection.ExecuteAsync(transaction, dialect.CreateVersionTable).ConfigureAwait(false);
        long current = Convert.ToInt64(await connection.ScalarAsync(transaction, dialect.SelectCurrentVersion).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (current > dialect.Version)
        {
            throw new InvalidOperationException(dialect.DescribeNewerSchema(current));
        }

        for (int version = (int)current + 1; version <= dialect.Version; version++)
        {
            SchemaMigration migration = dialect.Migration(version);
            foreach (string statement in migration.Statements)
            {
                await connection.ExecuteAsync(transaction, statement).ConfigureAwait(false);
            }

            await dialect.RecordVersionAsync(connection, transaction, version, migration.Description).ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }
}
