using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>Runs one statement on an open connection, for the parts that both relational stores share. Compiled into each store package.</summary>
internal static class DbCommandExtensions
{
    /// <summary>Runs a statement that returns no rows.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction to run it in, if any.</param>
    /// <param name="sql">The statement (no parameters).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The number of rows affected.</returns>
    public static async Task<int> ExecuteAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken = default)
    {
        await using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a query and returns the first column of its first row.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction to run it in, if any.</param>
    /// <param name="sql">The query (no parameters).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The value, or <see langword="null"/> when there is no row.</returns>
    public static async Task<object?> ScalarAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken = default)
    {
        await using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
