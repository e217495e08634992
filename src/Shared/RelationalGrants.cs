using System.Data.Common;

namespace HumanInLoop.Internal;

/// <summary>
/// Standing grants in a relational store (<see cref="IGrantStore"/>): create once, read, compare-and-swap on the version column
/// (<c>UPDATE ... WHERE id = @id AND version = @expected</c>, like approvals), and the keyset listing newest first by
/// (created_at, id) with the <see cref="GrantQuery.ActiveAt"/> filter in SQL. Every read goes to the database (no cache), so a
/// committed revoke is seen by the next check. Compiled into each store package, over the store's <see cref="RelationalRecordDialect"/>.
/// </summary>
/// <remarks>Thread-safe: each call uses its own connection.</remarks>
/// <param name="dialect">The store's connections and parameters.</param>
/// <param name="table">The grants table.</param>
internal sealed class RelationalGrants(RelationalRecordDialect dialect, string table)
{
    /// <summary>The columns of a grant, in the order <see cref="ReadEntry"/> reads them.</summary>
    public const string Columns = "id, tool_name, tenant_id, created_at, expires_at, revoked, version, data";

    /// <inheritdoc cref="IGrantStore.TryCreateGrantAsync"/>
    public async Task<bool> TryCreateAsync(GrantEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        await using IAsyncDisposable? turn = await dialect.EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using DbCommand command = connection.CreateCommand();
        string values = BindEntry(command, entry);
        command.CommandText = $"INSERT INTO {table} ({Columns}) VALUES ({values}) ON CONFLICT (id) DO NOTHING";
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc cref="IGrantStore.GetGrantAsync"/>
    public async Task<GrantEntry?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!StoredValues.IsWellFormed(id))
        {
            return null; // no grant can have such an id; bound, it could match another (SQLite writes U+FFFD)
        }

        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM {table} WHERE id = {dialect.BindText(command, id)}";
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    /// <inheritdoc cref="IGrantStore.TryUpdateGrantAsync"/>
    public async Task<bool> TryUpdateAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        await using IAsyncDisposable? turn = await dialect.EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        await using DbConnection connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE {table}
            SET tool_name = {dialect.BindText(command, entry.ToolName)}, tenant_id = {dialect.BindText(command, entry.TenantId)},
                created_at = {dialect.BindTime(command, StoredValues.Milliseconds(entry.CreatedAt))},
                expires_at = {dialect.BindTime(command, StoredValues.Milliseconds(entry.ExpiresAt))},
                revoked = {dialect.BindBoolean(command, entry.Revoked)}, version = {dialect.BindInteger(command, entry.Version)},
                data = {dialect.BindText(command, entry.Data)}
            WHERE id = {dialect.BindText(command, entry.Id)} AND version = {dialect.BindInteger(command, expectedVersion)}
            """;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc cref="IGrantStore.ListGrantsAsync"/>
    public async Task<GrantPage> ListAsync(GrantQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        (DateTimeOffset At, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        if (!StoredValues.IsWellFormed(query.ToolName) || !StoredValues.IsWellFormed(query.TenantId))
        {
            return new GrantPage([], null); // no grant can hold such text
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

        if (query.ActiveAt is { } activeAt)
        {
            // Compared at the store's precision: an expiry is kept to the millisecond.
            where.Add($"revoked = {dialect.BindBoolean(command, false)} AND expires_at > {dialect.BindTime(command, StoredValues.Milliseconds(activeAt))}");
        }

        if (after is { } position)
        {
            where.Add($"(created_at, id) < ({dialect.BindTime(command, position.At)}, {dialect.BindText(command, position.Id)})");
        }

        string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        command.CommandText = $"SELECT {Columns} FROM {table}{filter} ORDER BY created_at DESC, id DESC LIMIT {dialect.BindInteger(command, query.PageSize + 1)}";
        (List<GrantEntry> entries, string? next) = await KeysetPageReader.ReadAsync(
            command, query.PageSize, ReadEntry, entry => (entry.CreatedAt, entry.Id), cancellationToken).ConfigureAwait(false);
        return new GrantPage(entries, next);
    }

    /// <summary>Binds the entry's columns in the order of <see cref="Columns"/>, times in whole milliseconds.</summary>
    private string BindEntry(DbCommand command, GrantEntry entry) => string.Join(", ",
        dialect.BindText(command, entry.Id),
        dialect.BindText(command, entry.ToolName),
        dialect.BindText(command, entry.TenantId),
        dialect.BindTime(command, StoredValues.Milliseconds(entry.CreatedAt)),
        dialect.BindTime(command, StoredValues.Milliseconds(entry.ExpiresAt)),
        dialect.BindBoolean(command, entry.Revoked),
        dialect.BindInteger(command, entry.Version),
        dialect.BindText(command, entry.Data));

    private GrantEntry ReadEntry(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        dialect.ReadTime(reader, 3),
        dialect.ReadTime(reader, 4),
        reader.GetBoolean(5),
        reader.GetInt64(6),
        reader.GetString(7));
}
