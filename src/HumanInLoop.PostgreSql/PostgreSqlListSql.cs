using HumanInLoop.Internal;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The listing query of <see cref="PostgreSqlStateStore.ListAsync"/> without an approver: keyset paging newest first on
/// (created_at DESC, id DESC), or soonest deadline first on (expires_at, id), each filter a prefix of an index.
/// </summary>
internal static class PostgreSqlListSql
{
    /// <summary>
    /// Builds the query. Positional parameters: <c>$1</c> the limit, then tenant, conversation, status, earliest and latest creation,
    /// and the token's time (created_at, or expires_at by deadline) and id, those used, in that order.
    /// </summary>
    /// <param name="tables">The store's table names.</param>
    /// <param name="byConversation">Filter by conversation.</param>
    /// <param name="byStatus">Filter by status.</param>
    /// <param name="afterToken">Continue after the token's position.</param>
    /// <param name="createdFrom">Filter by earliest creation.</param>
    /// <param name="createdBefore">Filter by latest creation.</param>
    /// <param name="byTenant">Filter by tenant.</param>
    /// <param name="byDeadline">Soonest deadline first (<see cref="StateOrder.SoonestDeadlineFirst"/>) rather than newest first.</param>
    /// <param name="withHistory">Read the conversation too; otherwise its column is NULL (and never read from storage).</param>
    /// <returns>The SQL; its rows are <see cref="PostgreSqlEntryMapping.Columns"/> (or <see cref="PostgreSqlEntryMapping.ColumnsWithoutHistory"/>).</returns>
    public static string Build(StoreTableNames tables, bool byConversation, bool byStatus, bool afterToken, bool createdFrom, bool createdBefore, bool byTenant, bool byDeadline, bool withHistory = true)
    {
        List<string> where = [];
        int parameter = 2;
        if (byTenant)
        {
            where.Add($"tenant_id = ${parameter++}");
        }

        if (byConversation)
        {
            where.Add($"conversation_id = ${parameter++}");
        }

        if (byStatus)
        {
            where.Add($"status = ${parameter++}");
        }

        if (createdFrom)
        {
            where.Add($"created_at >= ${parameter++}");
        }

        if (createdBefore)
        {
            where.Add($"created_at < ${parameter++}");
        }

        if (afterToken)
        {
            where.Add(byDeadline ? $"(expires_at, id) > (${parameter}, ${parameter + 1})" : $"(created_at, id) < (${parameter}, ${parameter + 1})");
        }

        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        string order = byDeadline ? "expires_at, id" : "created_at DESC, id DESC";
        return $"SELECT {(withHistory ? PostgreSqlEntryMapping.Columns : PostgreSqlEntryMapping.ColumnsWithoutHistory)} FROM {tables.Approvals}{filter} ORDER BY {order} LIMIT $1";
    }
}
