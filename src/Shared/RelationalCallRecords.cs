using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// Call records in a relational store (<see cref="ICallRecordStore"/>): the argument checks, the keyset listing oldest first by
/// (recorded_at, id) and its continuation tokens, over the store's <see cref="RelationalRecordDialect"/>. Times are kept to the
/// millisecond, the precision of the tokens, so that paging never skips or repeats a record. Compiled into each store package.
/// </summary>
/// <remarks>Thread-safe: each call uses its own connection.</remarks>
/// <param name="dialect">The store's connections, parameters and append.</param>
/// <param name="table">The call records table.</param>
internal sealed class RelationalCallRecords(RelationalRecordDialect dialect, string table)
{
    /// <summary>The columns of a record, in the order <see cref="ReadEntry"/> reads them.</summary>
    public const string Columns = "id, tool_name, tenant_id, recorded_at, data";

    /// <inheritdoc cref="ICallRecordStore.AppendCallRecordsAsync"/>
    public async Task AppendAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (CallRecordEntry entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (entries.Count == 0)
        {
            return;
        }

        await using IAsyncDisposable? turn = await dialect.EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await dialect.AppendCallRecordsAsync(connection, entries, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="ICallRecordStore.ListCallRecordsAsync"/>
    public async Task<CallRecordPage> ListAsync(CallRecordQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        (DateTimeOffset At, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        if (!StoredValues.IsWellFormed(query.ToolName) || !StoredValues.IsWellFormed(query.TenantId))
        {
            return new CallRecordPage([], null); // no record can hold such text
        }

        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using DbCommand command = connection.CreateCommand();
        List<string> where = [];
        if (query.ToolName is { } tool)
        {
            where.Add($"tool_name = {dialect.BindText(command, tool)}");
        }

        if (query.TenantId is { } tenant)
        {
            where.Add($"tenant_id = {dialect.BindText(command, tenant)}");
        }

        if (query.From is { } from)
        {
            where.Add($"recorded_at >= {dialect.BindTime(command, StoredValues.Milliseconds(from))}");
        }

        if (query.Before is { } before)
        {
            where.Add($"recorded_at < {dialect.BindTime(command, StoredValues.Milliseconds(before))}");
        }

        if (after is { } position)
        {
            where.Add($"(recorded_at, id) > ({dialect.BindTime(command, position.At)}, {dialect.BindText(command, position.Id)})");
        }

        // Keyset paging on the (recorded_at, id) indexes: each page is one short query, so reading any number of records holds one page at a time.
        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        command.CommandText = $"SELECT {Columns} FROM {table}{filter} ORDER BY recorded_at, id LIMIT {dialect.BindInteger(command, query.PageSize + 1)}";
        (List<CallRecordEntry> entries, string? next) = await KeysetPageReader.ReadAsync(
            command, query.PageSize, ReadEntry, entry => (entry.RecordedAt, entry.Id), cancellationToken).ConfigureAwait(false);
        return new CallRecordPage(entries, next);
    }

    private CallRecordEntry ReadEntry(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        dialect.ReadTime(reader, 3),
        reader.GetString(4));
}
