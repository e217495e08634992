using HumanInLoop.Internal;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The listing query of an approver's inbox (<see cref="StateQuery.Approver"/>): for each name, the newest <c>$1</c> (page size + 1)
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
    /// <param name="byTenant">Filter by tenant (in the index: approver, tenant, created_at, id).</param>
    /// <returns>The SQL; its rows are <see cref="PostgreSqlEntryMapping.Columns"/>, newest first.</returns>
    public static string Build(StoreTableNames tables, int names, bool byConversation, bool afterToken, bool createdFrom, bool createdBefore, bool byTenant)
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
            where.Add($"(x.created_at, x.approval_id) < (${parameter}, ${parameter + 1})");
            parameter += 2;
        }

        string join = byConversation ? $" JOIN {tables.Approvals} a ON a.id = x.approval_id" : "";
        string filter = string.Concat(where.Select(condition => " AND " + condition));
        string approvers = PostgreSqlEntryMapping.ApproversTable(tables);
        IEnumerable<string> ranges = Enumerable.Range(parameter, names).Select(name =>
            $"(SELECT x.approval_id AS p_id, x.created_at AS p_created FROM {approvers} x{join} WHERE x.approver = ${name}{filter} ORDER BY x.created_at DESC, x.approval_id DESC LIMIT $1)");
        return $"""
            SELECT {PostgreSqlEntryMapping.Columns}
            FROM (SELECT p_id, p_created FROM ({string.Join(" UNION ", ranges)}) u ORDER BY p_created DESC, p_id DESC LIMIT $1) p
            JOIN {tables.Approvals} ON id = p.p_id
            ORDER BY p.p_created DESC, p.p_id DESC
            """;
    }
}
