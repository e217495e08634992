using Npgsql;

namespace HumanInLoop.PostgreSql;

/// <summary>Settings of a <see cref="PostgreSqlNotificationStore"/>: which database, which schema and table names.</summary>
/// <remarks>A plain settings object: the store validates it once, when it is created, and copies what it needs.</remarks>
public sealed class PostgreSqlNotificationStoreOptions
{
    /// <summary>Gets or sets the Npgsql connection string; it may name the database of the <see cref="PostgreSqlStateStore"/>.</summary>
    /// <value>Required unless <see cref="DataSource"/> is set; for example <c>Host=db;Database=app;Username=app;Password=...</c>.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets an existing data source to use instead of <see cref="ConnectionString"/> (for example one registered by Npgsql's DI package).</summary>
    /// <value>Default <see langword="null"/>. The store does not dispose a data source it was given.</value>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Gets or sets the schema that holds the store's tables; created if missing (which needs the CREATE privilege on the database).</summary>
    /// <value>Default <c>public</c>; letters, digits and underscores, starting with a letter or underscore, at most 63 characters.</value>
    public string Schema { get; set; } = "public";

    /// <summary>Gets or sets the prefix of the store's two table names.</summary>
    /// <value>Default <c>hil_</c>; letters, digits and underscores, starting with a letter or underscore, at most 32 characters.</value>
    public string TablePrefix { get; set; } = "hil_";
}
