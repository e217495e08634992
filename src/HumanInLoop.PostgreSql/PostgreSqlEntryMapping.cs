using System.Data.Common;
using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// How a <see cref="StateEntry"/> maps to the PostgreSQL approvals table: the column lists, the positional parameters that write one,
/// and the reader that reads one back. Times are <c>timestamptz</c>; the status is a <c>smallint</c>.
/// </summary>
internal static class PostgreSqlEntryMapping
{
    /// <summary>An entry's columns, the conversation kept apart included.</summary>
    public const string Columns = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, history, tenant_id, approvers";

    /// <summary><see cref="Columns"/> with NULL for the history, for reads that do not need the conversation.</summary>
    public const string ColumnsWithoutHistory = "id, conversation_id, status, created_at, expires_at, updated_at, version, data, NULL, tenant_id, approvers";

    /// <summary>Binds an entry's first eight columns as positional parameters <c>$1</c> to <c>$8</c>, in the order of <see cref="Columns"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="entry">The entry.</param>
    public static void AddEntry(NpgsqlCommand command, StateEntry entry)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)entry.Status });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.ExpiresAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.UpdatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.Version });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Data, NpgsqlDbType = NpgsqlDbType.Text });
    }

    /// <summary>Binds an entry's tenant as one more positional parameter.</summary>
    /// <param name="command">The command.</param>
    /// <param name="entry">The entry.</param>
    public static void AddTenant(NpgsqlCommand command, StateEntry entry) =>
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });

    /// <summary>Binds an entry's approvers (<see cref="StateEntry.Approvers"/>, a <c>text[]</c> or NULL) as one more positional parameter.</summary>
    /// <param name="command">The command.</param>
    /// <param name="entry">The entry.</param>
    public static void AddApprovers(NpgsqlCommand command, StateEntry entry) =>
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Approvers is { } names ? names.ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });

    /// <summary>The table of who may decide each pending approval (schema version 5), kept by a trigger on the approvals table.</summary>
    /// <param name="tables">The store's table names.</param>
    /// <returns>The quoted, qualified table name.</returns>
    public static string ApproversTable(StoreTableNames tables) => tables.Table("approval_approvers");

    /// <summary>Reads a row selected as <see cref="Columns"/> or <see cref="ColumnsWithoutHistory"/>.</summary>
    /// <param name="reader">The reader, on a row.</param>
    /// <returns>The entry.</returns>
    public static StateEntry ReadEntry(DbDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        (ApprovalStatus)reader.GetInt16(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetInt64(6),
        reader.GetString(7))
    {
        History = reader.IsDBNull(8) ? null : reader.GetString(8),
        TenantId = reader.IsDBNull(9) ? null : reader.GetString(9),
        Approvers = reader.IsDBNull(10) ? null : reader.GetFieldValue<string[]>(10),
    };
}
