namespace HumanInLoop.Sqlite;

/// <summary>Settings of a <see cref="SqliteNotificationStore"/>: which file, which table names, and how long to wait for a busy database.</summary>
/// <remarks>A plain settings object: the store validates it once, when it is created, and copies what it needs.</remarks>
public sealed class SqliteNotificationStoreOptions
{
    /// <summary>Gets or sets the Microsoft.Data.Sqlite connection string of the database file; it may name the file of the <see cref="SqliteStateStore"/>.</summary>
    /// <value>Required, for example <c>Data Source=approvals.db</c>. In-memory and read-only databases are refused.</value>
    public string ConnectionString { get; set; } = "";

    /// <summary>Gets or sets the prefix of the store's two table names.</summary>
    /// <value>Default <c>hil_</c>; letters, digits and underscores, starting with a letter or underscore, at most 32 characters.</value>
    public string TablePrefix { get; set; } = "hil_";

    /// <summary>Gets or sets how long a command waits for another connection or process that holds the write lock.</summary>
    /// <value>Default 30 seconds; from 1 millisecond to 24 hours.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
