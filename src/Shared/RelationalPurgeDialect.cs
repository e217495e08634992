using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// What a relational store tells <see cref="RelationalPurgeRunner"/>: how to open a connection and a batch's transaction, and its
/// SQL to select a batch of finished approvals, archive their trails and delete them, and to read an archived trail. Compiled into
/// each store package; each store's subclass holds its own SQL.
/// </summary>
internal abstract class RelationalPurgeDialect
{
    /// <summary>Opens a connection to the initialized store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The open connection.</returns>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins the transaction of one batch.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The transaction.</returns>
    public abstract Task<DbTransaction> BeginBatchAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// The query of the next batch: approvals in a terminal state last updated before <paramref name="olderThan"/> whose id sorts
    /// (ordinally) after <paramref name="afterId"/>, in id order, at most <paramref name="limit"/>.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The batch's transaction.</param>
    /// <param name="olderThan">The cutoff.</param>
    /// <param name="afterId">The last id of the batch before, or <see langword="null"/> for the first.</param>
    /// <param name="withHistory">Whether to read the conversation (needed to check that the record is readable before its trail is archived).</param>
    /// <param name="limit">The batch size.</param>
    /// <returns>The command; its rows are read by <see cref="ReadEntry"/>.</returns>
    public abstract DbCommand SelectBatch(DbConnection connection, DbTransaction transaction, DateTimeOffset olderThan, string? afterId, bool withHistory, int limit);

    /// <summary>Reads a row of <see cref="SelectBatch"/>.</summary>
    /// <param name="reader">The reader, on a row.</param>
    /// <returns>The entry.</returns>
    public abstract StateEntry ReadEntry(DbDataReader reader);

    /// <summary>
    /// Archives each trail given (replacing an archived one of the same id) and deletes each approval, its conversation included,
    /// if its version is still the one read.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The batch's transaction.</param>
    /// <param name="approvals">The approvals to delete, each with its trail to archive first, or none to delete it without.</param>
    /// <param name="archivedAt">The time to stamp archived trails with.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many approvals were deleted.</returns>
    public abstract Task<int> ArchiveAndDeleteAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<(StateEntry Approval, string? Trail)> approvals, DateTimeOffset archivedAt, CancellationToken cancellationToken);

    /// <summary>The query of the archived trail of <paramref name="approvalId"/> (one text column, no row when none).</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="approvalId">The id of the purged approval.</param>
    /// <returns>The command.</returns>
    public abstract DbCommand SelectArchivedTrail(DbConnection connection, string approvalId);
}
