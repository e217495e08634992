using HumanInLoop.Internal;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The listing query of an approver's inbox (<see cref="StateQuery.Approver"/>): for each name, the newest (or, by deadline, the
/// soonest due) <c>$1</c> (page size + 1)
/// rows of one index range of the approval_approvers table (which holds pending approvals only), merged without duplicates, the
/// newest <c>$1</c> of them kept, and only those read from the approvals table by primary key. However many approvals the store
/// holds, a page reads at most names × (page size + 1) index entries and page size + 1 approvals.
/// </summary>
internal static class PostgreSqlInboxSql
{
    /// <summary>
    /// Builds the query. Positional parameters: <c>$1</c> the limit, then tenant, conversation, earliest and latest creation, the token's
    /// created_at and id (those used, in that order), then the <paramref name="names"/> names.
    /// </summary>
    /// <param name="tables">The store's table names.</param>
    /// <param name="names">How many names.</param>
    /// <param name="byConversation">Filter by conversation (read from the approval, per candidate row).</param>
    /// <param name="afterToken">Continue after the token's position.</param>
    /// <param name="createdFrom">Filter by earliest creation.</param>
    /// <param name="createdBefore">Filter by latest creation.</param>
    /// <param name="byTenant">Filter by tenant (in the index: approver, tenant, created_at or expires_at, id).</param>
    /// <param name="byDeadline">Soonest deadline first, the token's time a deadline (index: approver, expires_at, id).</param>
    /// <param name="withHistory">Read the conversation too; otherwise its column is NULL (and never read from storage).</param>
    /// <returns>The SQL; its rows are <see cref="PostgreSqlEntryMapping.Columns"/> (or <see cref="PostgreSqlEntryMapping.ColumnsWithoutHistory"/>), newest (or soonest due) first.</returns>
    public static string Build(StoreTableNames tables, int names, bool byConversation, bool afterToken, bool createdFrom, bool createdBefore, bool byTenant, bool byDeadline, bool withHistory = true)
    {
        List<string> where = [];
        int parameter = 2;
        if (byTenant)
        {
            where.Add($"x.tenant_id = ${parameter++}");
        }

        if (byConversation)
        {
            where.Add($"a.conversation_id = ${parameter++}");
        }

        if (createdFrom)
        {
            where.Add($"x.created_at >= ${parameter++}");
        }

        if (createdBefore)
        {
            where.Add($"x.created_at < ${parameter++}");
        }

        if (afterToken)
        {
            where.Add(byDeadline ? $"(x.expires_at, x.approval_id) > (${parameter}, ${parameter + 1})" : $"(x.created_at, x.approval_id) < (${parameter}, ${parameter + 1})");
            parameter += 2;
        }

        (string key, string desc) = byDeadline ? ("expires_at", "") : ("created_at", " DESC");
        string join = byConversation ? $" JOIN {tables.Approvals} a ON a.id = x.approval_id" : "";
        string filter = string.Concat(where.Select(condition => " AND " + condition));
        string approvers = PostgreSqlEntryMapping.ApproversTable(tables);
        IEnumerable<string> ranges = Enumerable.Range(parameter, names).Select(name =>
            $"(SELECT x.approval_id AS p_id, x.{key} AS p_at FROM {approvers} x{join} WHERE x.approver = ${name}{filter} ORDER BY x.{key}{desc}, x.approval_id{desc} LIMIT $1)");
        return $"""
            SELECT {(withHistory ? PostgreSqlEntryMapping.Columns : PostgreSqlEntryMapping.ColumnsWithoutHistory)}
            FROM (SELECT p_id, p_at FROM ({string.Join(" UNION ", ranges)}) u ORDER BY p_at{desc}, p_id{desc} LIMIT $1) p
            JOIN {tables.Approvals} ON id = p.p_id
            ORDER BY p.p_at{desc}, p.p_id{desc}
            """;
    }
}
