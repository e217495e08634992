using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// Reads one page of a keyset listing query (which asks for one row more than the page size) and makes the continuation token
/// from the sort key (a time, then an id) of the page's last row when there are more. Compiled into each store package.
/// </summary>
internal static class KeysetPageReader
{
    /// <summary>Runs <paramref name="command"/> and reads the page.</summary>
    /// <typeparam name="T">The entry type.</typeparam>
    /// <param name="command">The listing query, limited to <paramref name="pageSize"/> + 1 rows.</param>
    /// <param name="pageSize">The page size asked for.</param>
    /// <param name="readEntry">Reads one row.</param>
    /// <param name="sortKey">The sort key of an entry.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <param name="order">The order the token continues.</param>
    /// <returns>The entries, and a continuation token when a further row was found.</returns>
    public static async Task<(List<T> Entries, string? ContinuationToken)> ReadAsync<T>(
        DbCommand command, int pageSize, Func<DbDataReader, T> readEntry, Func<T, (DateTimeOffset At, string Id)> sortKey, CancellationToken cancellationToken, StateOrder order = StateOrder.NewestFirst)
    {
        List<T> entries = new(Math.Min(pageSize + 1, 256));
        await using (DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                entries.Add(readEntry(reader));
            }
        }

        string? next = null;
        if (entries.Count > pageSize)
        {
            entries.RemoveAt(entries.Count - 1);
            (DateTimeOffset at, string id) = sortKey(entries[^1]);
            next = StateContinuationToken.Create(at, id, order);
        }

        return (entries, next);
    }
}
