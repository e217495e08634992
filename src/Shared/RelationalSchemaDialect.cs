using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// What a relational store tells <see cref="RelationalSchemaInitializer"/> about its database: how to connect and take turns
/// with other processes, its numbered migration steps, its schema-version table, and how to explain a failure. Compiled into
/// each store package; each store's subclass holds its own SQL.
/// </summary>
/// <param name="tables">The store's table names.</param>
internal abstract class RelationalSchemaDialect(StoreTableNames tables)
{
    /// <summary>Gets the store's table names.</summary>
    protected StoreTableNames Tables { get; } = tables;

    /// <summary>Gets the newest schema version the package writes and reads (its public <c>SchemaVersion</c>).</summary>
    public abstract int Version { get; }

    /// <summary>Gets the statement that creates the schema-version table (version, applied_at, description) if it is missing.</summary>
    public abstract string CreateVersionTable { get; }

    /// <summary>Gets the query of the highest applied version, 0 when none.</summary>
    public string SelectCurrentVersion => $"SELECT COALESCE(MAX(version), 0) FROM {Tables.SchemaVersions}";

    /// <summary>Opens a connection for the initialization, without initializing.</summary>
    /// <returns>The open connection.</returns>
    public abstract Task<DbConnection> OpenAsync();

    /// <summary>Explains a failure of <see cref="OpenAsync"/>, or returns <see langword="null"/> to let it through unchanged.</summary>
    /// <param name="exception">What <see cref="OpenAsync"/> threw.</param>
    /// <returns>The message of the <see cref="InvalidOperationException"/> to throw instead, or <see langword="null"/>.</returns>
    public abstract string? DescribeConnectFailure(Exception exception);

    /// <summary>
    /// Begins the transaction of the whole upgrade, taking a lock first so that processes starting together take turns and each
    /// sees the schema the one before it left; anything the version table needs (a database schema) is created here.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <returns>The transaction, holding the lock.</returns>
    public abstract Task<DbTransaction> BeginUpgradeAsync(DbConnection connection);

    /// <summary>Records that <paramref name="version"/> was applied, in the upgrade's transaction.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The upgrade's transaction.</param>
    /// <param name="version">The version just applied.</param>
    /// <param name="description">What the version brought.</param>
    /// <returns>A task that completes when the row is written.</returns>
    public abstract Task RecordVersionAsync(DbConnection connection, DbTransaction transaction, int version, string description);

    /// <summary>The step that takes the schema from <paramref name="version"/> - 1 to <paramref name="version"/>; never changed once released.</summary>
    /// <param name="version">From 1 to <see cref="Version"/>.</param>
    /// <returns>What the step brings, and its statements in order.</returns>
    public abstract SchemaMigration Migration(int version);

    /// <summary>The message refusing a database whose schema is newer than <see cref="Version"/>.</summary>
    /// <param name="found">The version found.</param>
    /// <returns>A message that says what to do.</returns>
    public abstract string DescribeNewerSchema(long found);

    /// <summary>Explains a database error during the upgrade, or returns <see langword="null"/> to let it through unchanged.</summary>
    /// <param name="exception">The error.</param>
    /// <returns>The message of the <see cref="InvalidOperationException"/> to throw instead, or <see langword="null"/>.</returns>
    public abstract string? DescribeUpgradeFailure(DbException exception);
}
