using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// What a relational store tells <see cref="RelationalCallRecords"/> and <see cref="RelationalGrants"/>: how to open a connection,
/// how to bind a value as a parameter (the placeholder text differs), how to read a time back, and how to append call records in one
/// write. The SQL around them is shared. Compiled into each store package; each store's subclass holds its own.
/// </summary>
internal abstract class RelationalRecordDialect
{
    /// <summary>Opens a connection to the initialized store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The open connection.</returns>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Waits, where the store needs it, for its turn to write (SQLite: one write per file and process at a time, waiting without a
    /// thread); dispose the result after the write. The default waits for nothing and returns <see langword="null"/>.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The turn to dispose after the write, or <see langword="null"/>.</returns>
    public virtual ValueTask<IAsyncDisposable?> EnterWriteAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IAsyncDisposable?>(null);

    /// <summary>Adds a text parameter to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="value">The text, or <see langword="null"/> for SQL NULL.</param>
    /// <returns>The placeholder to put into the SQL.</returns>
    public abstract string BindText(DbCommand command, string? value);

    /// <summary>Adds a time parameter to <paramref name="command"/>, in the store's time column type.</summary>
    /// <param name="command">The command.</param>
    /// <param name="value">The time, already in whole milliseconds (<see cref="StoredValues.Milliseconds"/>).</param>
    /// <returns>The placeholder to put into the SQL.</returns>
    public abstract string BindTime(DbCommand command, DateTimeOffset value);

    /// <summary>Adds an integer parameter to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="value">The integer.</param>
    /// <returns>The placeholder to put into the SQL.</returns>
    public abstract string BindInteger(DbCommand command, long value);

    /// <summary>Adds a Boolean parameter to <paramref name="command"/>, in the store's Boolean column type.</summary>
    /// <param name="command">The command.</param>
    /// <param name="value">The value.</param>
    /// <returns>The placeholder to put into the SQL.</returns>
    public abstract string BindBoolean(DbCommand command, bool value);

    /// <summary>Reads a time column written by <see cref="BindTime"/>.</summary>
    /// <param name="reader">The reader, on a row.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The time (UTC).</returns>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>
    /// Inserts <paramref name="entries"/> into the call records table in one durable write (one statement, or one transaction), skipping
    /// each whose id is stored already or came earlier in the list.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="entries">The records (at least one; none <see langword="null"/>).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the write is committed.</returns>
    public abstract Task AppendCallRecordsAsync(DbConnection connection, IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken);
}
