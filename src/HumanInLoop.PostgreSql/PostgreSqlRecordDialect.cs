using System.Data.Common;
using System.Globalization;
using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql;

/// <summary>
/// The PostgreSQL side of call records and grants, for <see cref="RelationalCallRecords"/> and <see cref="RelationalGrants"/>: typed
/// positional parameters, times as <c>timestamptz</c> (given in whole milliseconds), Booleans as <c>boolean</c>, and an append that
/// is one <c>INSERT ... SELECT FROM unnest(...)</c> statement however many records there are.
/// </summary>
/// <param name="open">Opens a connection to the initialized store.</param>
/// <param name="tables">The store's table names, in their schema.</param>
internal sealed class PostgreSqlRecordDialect(Func<CancellationToken, Task<NpgsqlConnection>> open, StoreTableNames tables) : RelationalRecordDialect
{
    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await open(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override string BindText(DbCommand command, string? value) =>
        Bind(command, new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });

    /// <inheritdoc />
    public override string BindTime(DbCommand command, DateTimeOffset value) =>
        Bind(command, new NpgsqlParameter<DateTimeOffset> { TypedValue = value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });

    /// <inheritdoc />
    public override string BindInteger(DbCommand command, long value) => Bind(command, new NpgsqlParameter<long> { TypedValue = value });

    /// <inheritdoc />
    public override string BindBoolean(DbCommand command, bool value) => Bind(command, new NpgsqlParameter<bool> { TypedValue = value });

    /// <inheritdoc />
    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <inheritdoc />
    public override async Task AppendCallRecordsAsync(DbConnection connection, IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken)
    {
        // One statement is one transaction: all the records are durable together, or none. unnest keeps the list's order (WITH
        // ORDINALITY makes it explicit), so of two records with one id the first is kept, as by the other stores.
        int count = entries.Count;
        string[] ids = new string[count], tools = new string[count], data = new string[count];
        string?[] tenants = new string?[count];
        DateTimeOffset[] times = new DateTimeOffset[count];
        for (int i = 0; i < count; i++)
        {
            CallRecordEntry entry = entries[i];
            (ids[i], tools[i], tenants[i], times[i], data[i]) = (entry.Id, entry.ToolName, entry.TenantId, StoredValues.Milliseconds(entry.RecordedAt), entry.Data);
        }

        await using NpgsqlCommand insert = new($"""
            INSERT INTO {tables.CallRecords} ({RelationalCallRecords.Columns})
            SELECT id, tool_name, tenant_id, recorded_at, data
            FROM unnest($1, $2, $3, $4, $5) WITH ORDINALITY AS r (id, tool_name, tenant_id, recorded_at, data, n)
            ORDER BY n
            ON CONFLICT (id) DO NOTHING
            """, (NpgsqlConnection)connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tools, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = tenants, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Bind(DbCommand command, NpgsqlParameter parameter)
    {
        command.Parameters.Add(parameter);
        return string.Create(CultureInfo.InvariantCulture, $"${command.Parameters.Count}");
    }
}
