using HumanInLoop.Internal;

namespace HumanInLoop.Sqlite;

/// <summary>
/// The listing query of <see cref="SqliteStateStore.ListAsync"/> without an approver: keyset paging newest first on
/// (created_at DESC, id DESC), or soonest deadline first on (expires_at, id), each filter a prefix of an index.
/// </summary>
internal static class SqliteListSql
{
    /// <summary>Builds the query.</summary>
    /// <param name="tables">The store's table names.</param>
    /// <param name="byConversation">Filter by <c>@conversation</c>.</param>
    /// <param name="byStatus">Filter by <c>@status</c>.</param>
    /// <param name="afterToken">Continue after <c>@afterCreated</c> (or, by deadline, <c>@afterExpires</c>) and <c>@afterId</c>.</param>
    /// <param name="createdFrom">Filter by <c>@createdFrom</c>.</param>
    /// <param name="createdBefore">Filter by <c>@createdBefore</c>.</param>
    /// <param name="byTenant">Filter by <c>@tenant</c>.</param>
    /// <param name="byDeadline">Soonest deadline first (<see cref="StateOrder.SoonestDeadlineFirst"/>) rather than newest first.</param>
    /// <param name="withHistory">Read the conversation too; otherwise its column is NULL and its table is not joined.</param>
    /// <returns>The SQL; its rows are <see cref="SqliteEntryMapping.Columns"/> (or <see cref="SqliteEntryMapping.ColumnsWithoutHistory"/>), at most <c>@limit</c>.</returns>
    public static string Build(StoreTableNames tables, bool byConversation, bool byStatus, bool afterToken, bool createdFrom, bool createdBefore, bool byTenant, bool byDeadline, bool withHistory = true)
    {
        List<string> where = [];
        if (byTenant)
        {
            where.Add("a.tenant_id = @tenant");
        }

        if (byConversation)
        {
            where.Add("a.conversation_id = @conversation");
        }

        if (byStatus)
        {
            where.Add("a.status = @status");
        }

        if (createdFrom)
        {
            where.Add("a.created_at >= @createdFrom");
        }

        if (createdBefore)
        {
            where.Add("a.created_at < @createdBefore");
        }

        if (afterToken)
        {
            where.Add(byDeadline ? "(a.expires_at, a.id) > (@afterExpires, @afterId)" : "(a.created_at, a.id) < (@afterCreated, @afterId)");
        }

        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        string order = byDeadline ? "a.expires_at, a.id" : "a.created_at DESC, a.id DESC";
        return $"SELECT {SqliteEntryMapping.From(tables, withHistory)}{filter} ORDER BY {order} LIMIT @limit";
    }
}
