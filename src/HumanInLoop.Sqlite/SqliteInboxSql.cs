using HumanInLoop.Internal;

namespace HumanInLoop.Sqlite;

/// <summary>
/// The listing query of an approver's inbox (<see cref="StateQuery.Approver"/>): for each name (<c>@approver0</c>, ...), the newest
/// (or, by deadline, the soonest due) <c>@limit</c> rows of one index range of the approval_approvers table (which holds pending approvals only), merged without
/// duplicates, the newest <c>@limit</c> of them kept, and only those read from the approvals table by primary key. However many
/// approvals the store holds, a page reads at most names × (page size + 1) index entries and page size + 1 approvals.
/// </summary>
internal static class SqliteInboxSql
{
    /// <summary>Builds the query.</summary>
    /// <param name="tables">The store's table names.</param>
    /// <param name="names">How many names (parameters <c>@approver0</c> to <c>@approver{names - 1}</c>).</param>
    /// <param name="byConversation">Filter by <c>@conversation</c> (read from the approval, per candidate row).</param>
    /// <param name="afterToken">Continue after <c>@afterCreated</c>, <c>@afterId</c>.</param>
    /// <param name="createdFrom">Filter by <c>@createdFrom</c>.</param>
    /// <param name="createdBefore">Filter by <c>@createdBefore</c>.</param>
    /// <param name="byTenant">Filter by <c>@tenant</c> (in the index: approver, tenant, created_at or expires_at, id).</param>
    /// <param name="byDeadline">Soonest deadline first, continuing after <c>@afterExpires</c>, <c>@afterId</c> (index: approver, expires_at, id).</param>
    /// <param name="withHistory">Read the conversation too; otherwise its column is NULL and its table is not joined.</param>
    /// <returns>The SQL; its rows are <see cref="SqliteEntryMapping.Columns"/> (or <see cref="SqliteEntryMapping.ColumnsWithoutHistory"/>), newest (or soonest due) first.</returns>
    public static string Build(StoreTableNames tables, int names, bool byConversation, bool afterToken, bool createdFrom, bool createdBefore, bool byTenant, bool byDeadline, bool withHistory = true)
    {
        string approvers = SqliteEntryMapping.ApproversTable(tables);
        List<string> where = [];
        if (byTenant)
        {
            where.Add("x.tenant_id = @tenant");
        }

        if (byConversation)
        {
            where.Add("a.conversation_id = @conversation");
        }

        if (createdFrom)
        {
            where.Add("x.created_at >= @createdFrom");
        }

        if (createdBefore)
        {
            where.Add("x.created_at < @createdBefore");
        }

        if (afterToken)
        {
            where.Add(byDeadline ? "(x.expires_at, x.approval_id) > (@afterExpires, @afterId)" : "(x.created_at, x.approval_id) < (@afterCreated, @afterId)");
        }

        (string key, string desc) = byDeadline ? ("expires_at", "") : ("created_at", " DESC");
        string join = byConversation ? $" CROSS JOIN {tables.Approvals} a ON a.id = x.approval_id" : "";
        string filter = string.Concat(where.Select(condition => " AND " + condition));
        IEnumerable<string> ranges = Enumerable.Range(0, names).Select(i =>
            $"SELECT id, at FROM (SELECT x.approval_id AS id, x.{key} AS at FROM {approvers} x{join} WHERE x.approver = @approver{i}{filter} ORDER BY x.{key}{desc}, x.approval_id{desc} LIMIT @limit)");
        return $"""
            SELECT {(withHistory ? SqliteEntryMapping.Columns : SqliteEntryMapping.ColumnsWithoutHistory)}
            FROM (SELECT id, at FROM ({string.Join(" UNION ", ranges)}) ORDER BY at{desc}, id{desc} LIMIT @limit) p
            CROSS JOIN {tables.Approvals} a ON a.id = p.id{(withHistory ? $"\n    LEFT JOIN {SqliteEntryMapping.HistoryTable(tables)} h ON h.approval_id = a.id" : "")}
            ORDER BY p.at{desc}, p.id{desc}
            """;
    }
}
