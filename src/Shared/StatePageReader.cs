using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// Reads one page of a relational store's listing query (which asks for one row more than the page size) and makes the
/// continuation token from the last entry when there are more. Compiled into each store package.
/// </summary>
internal static class StatePageReader
{
    /// <summary>Runs <paramref name="command"/> and reads the page.</summary>
    /// <param name="command">The listing query, limited to <paramref name="pageSize"/> + 1 rows.</param>
    /// <param name="pageSize">The page size asked for.</param>
    /// <param name="readEntry">Reads one row.</param>
    /// <param name="order">The order of the listing (its sort key: creation time or deadline, then id).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The page, with a continuation token when a further row was found.</returns>
    public static async Task<StatePage> ReadAsync(DbCommand command, int pageSize, Func<DbDataReader, StateEntry> readEntry, StateOrder order, CancellationToken cancellationToken)
    {
        (List<StateEntry> entries, string? next) = await KeysetPageReader.ReadAsync(
            command, pageSize, readEntry, entry => order == StateOrder.SoonestDeadlineFirst ? (entry.ExpiresAt, entry.Id) : (entry.CreatedAt, entry.Id), cancellationToken, order).ConfigureAwait(false);
        return new StatePage(entries, next);
    }
}
