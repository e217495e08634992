using System.Data.Common;
using System.Globalization;
using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite;

/// <summary>
/// The SQLite side of call records and grants, for <see cref="RelationalCallRecords"/> and <see cref="RelationalGrants"/>: named
/// parameters, times as Unix milliseconds (UTC) in <c>INTEGER</c> columns, Booleans as 0 or 1, and an append that is one
/// <c>BEGIN IMMEDIATE</c> transaction running one prepared insert per record.
/// </summary>
/// <param name="open">Opens a connection to the initialized store.</param>
/// <param name="tables">The store's table names.</param>
/// <param name="writes">The file's write gate.</param>
internal sealed class SqliteRecordDialect(Func<CancellationToken, Task<SqliteConnection>> open, StoreTableNames tables, SqliteWriteGate writes) : RelationalRecordDialect
{
    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await open(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask<IAsyncDisposable?> EnterWriteAsync(CancellationToken cancellationToken) =>
        await writes.EnterAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override string BindText(DbCommand command, string? value) => Bind(command, (object?)value ?? DBNull.Value);

    /// <inheritdoc />
    public override string BindTime(DbCommand command, DateTimeOffset value) => Bind(command, value.ToUnixTimeMilliseconds());

    /// <inheritdoc />
    public override string BindInteger(DbCommand command, long value) => Bind(command, value);

    /// <inheritdoc />
    public override string BindBoolean(DbCommand command, bool value) => Bind(command, value ? 1L : 0L);

    /// <inheritdoc />
    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    /// <inheritdoc />
    public override async Task AppendCallRecordsAsync(DbConnection connection, IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken)
    {
        SqliteConnection sqlite = (SqliteConnection)connection;

        // One transaction is one commit (one fsync) for the whole list; the insert is prepared once and run per record.
        await using SqliteTransaction transaction = sqlite.BeginTransaction(deferred: false);
        await using SqliteCommand insert = sqlite.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO {tables.CallRecords} ({RelationalCallRecords.Columns}) VALUES (@id, @tool, @tenant, @at, @data) ON CONFLICT (id) DO NOTHING";
        SqliteParameter id = insert.Parameters.Add("@id", SqliteType.Text);
        SqliteParameter tool = insert.Parameters.Add("@tool", SqliteType.Text);
        SqliteParameter tenant = insert.Parameters.Add("@tenant", SqliteType.Text);
        SqliteParameter at = insert.Parameters.Add("@at", SqliteType.Integer);
        SqliteParameter data = insert.Parameters.Add("@data", SqliteType.Text);
        foreach (CallRecordEntry entry in entries)
        {
            id.Value = entry.Id;
            tool.Value = entry.ToolName;
            tenant.Value = (object?)entry.TenantId ?? DBNull.Value;
            at.Value = entry.RecordedAt.ToUnixTimeMilliseconds();
            data.Value = entry.Data;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Bind(DbCommand command, object value)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"@p{command.Parameters.Count}");
        ((SqliteCommand)command).Parameters.AddWithValue(name, value);
        return name;
    }
}
