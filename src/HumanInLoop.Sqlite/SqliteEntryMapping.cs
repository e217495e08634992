using System.Data.Common;
using HumanInLoop.Internal;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// How a <see cref="StateEntry"/> maps to the SQLite tables: the column lists, the parameters that write one, the reader that reads
/// one back, and the table that keeps conversations apart. Times are Unix milliseconds (UTC); the status is an integer.
/// </summary>
internal static class SqliteEntryMapping
{
    /// <summary>The approvals columns an insert writes.</summary>
    public const string EntryColumns = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, tenant_id, approvers";

    /// <summary>
    /// An entry's columns, read from <c>a</c> (approvals) joined with <c>h</c> (history): the conversation from its own table, or
    /// from the approvals column a process of schema version 2 may still write.
    /// </summary>
    public const string Columns =
        "a.id, a.conversation_id, a.status, a.created_at, a.expires_at, a.updated_at, a.version, a.data, COALESCE(h.history, a.history), a.tenant_id, a.approvers";

    /// <summary><see cref="Columns"/> with NULL for the history, for reads that do not need the conversation.</summary>
    public const string ColumnsWithoutHistory = "a.id, a.conversation_id, a.status, a.created_at, a.expires_at, a.updated_at, a.version, a.data, NULL, a.tenant_id, a.approvers";

    /// <summary>
    /// The columns and tables an entry is read from, as <c>{columns} FROM approvals a [LEFT JOIN history h]</c>: without the
    /// conversation, its table is not joined and its column is NULL.
    /// </summary>
    /// <param name="tables">The store's table names.</param>
    /// <param name="withHistory">Read the conversation too.</param>
    /// <returns>The SQL, to follow <c>SELECT</c>.</returns>
    public static string From(StoreTableNames tables, bool withHistory) => withHistory
        ? $"{Columns} FROM {tables.Approvals} a LEFT JOIN {HistoryTable(tables)} h ON h.approval_id = a.id"
        : $"{ColumnsWithoutHistory} FROM {tables.Approvals} a";

    /// <summary>The table of conversations kept apart (schema version 3): one row per approval, written once.</summary>
    /// <param name="tables">The store's table names.</param>
    /// <returns>The quoted table name.</returns>
    public static string HistoryTable(StoreTableNames tables) => tables.Table("approval_history");

    /// <summary>
    /// The table of who may decide each pending approval (schema version 6): one row per name in <see cref="StateEntry.Approvers"/>,
    /// written by triggers on the approvals table, read by <see cref="StateQuery.Approver"/> one index range per name.
    /// </summary>
    /// <param name="tables">The store's table names.</param>
    /// <returns>The quoted table name.</returns>
    public static string ApproversTable(StoreTableNames tables) => tables.Table("approval_approvers");

    /// <summary>Binds an entry's columns as <c>@id</c>, <c>@conversation</c>, <c>@status</c>, <c>@created</c>, <c>@expires</c>, <c>@updated</c>, <c>@version</c>, <c>@data</c>, <c>@tenant</c> and <c>@approvers</c> (a JSON array of strings, or NULL).</summary>
    /// <param name="command">The command.</param>
    /// <param name="entry">The entry.</param>
    public static void AddEntry(SqliteCommand command, StateEntry entry)
    {
        command.Parameters.AddWithValue("@id", entry.Id);
        command.Parameters.AddWithValue("@conversation", (object?)entry.ConversationId ?? DBNull.Value);
        command.Parameters.AddWithValue("@status", (int)entry.Status);
        command.Parameters.AddWithValue("@created", entry.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@expires", entry.ExpiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@updated", entry.UpdatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@version", entry.Version);
        command.Parameters.AddWithValue("@data", entry.Data);
        command.Parameters.AddWithValue("@tenant", (object?)entry.TenantId ?? DBNull.Value);
        command.Parameters.AddWithValue("@approvers", entry.Approvers is { } names ? JsonSerializer.Serialize(names, ApproverJson.Default.IReadOnlyListString) : DBNull.Value);
    }

    /// <summary>Reads a row selected as <see cref="Columns"/> or <see cref="ColumnsWithoutHistory"/>.</summary>
    /// <param name="reader">The reader, on a row.</param>
    /// <returns>The entry.</returns>
    public static StateEntry ReadEntry(DbDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        (ApprovalStatus)reader.GetInt32(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        reader.GetInt64(6),
        reader.GetString(7))
    {
        History = reader.IsDBNull(8) ? null : reader.GetString(8),
        TenantId = reader.IsDBNull(9) ? null : reader.GetString(9),
        Approvers = reader.IsDBNull(10) ? null : JsonSerializer.Deserialize(reader.GetString(10), ApproverJson.Default.StringArray),
    };
}
