namespace HumanInLoop.Internal;

/// <summary>A <see cref="TenantStateStore"/> of a store that also keeps call records: a tenant reads only its own.</summary>
internal sealed class TenantCallRecordStore(IStateStore inner, string tenantId) : TenantStateStore(inner, tenantId), ICallRecordStore
{
    /// <inheritdoc />
    public Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default) =>
        TenantCallRecords.AppendAsync(this, (ICallRecordStore)Inner, entries, cancellationToken);

    /// <inheritdoc />
    public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default) =>
        TenantCallRecords.ListAsync(this, (ICallRecordStore)Inner, query, cancellationToken);
}

/// <summary>A <see cref="TenantGrantStore"/> of a store that also keeps call records (the built-in stores keep both).</summary>
internal sealed class TenantRecordingStore(IStateStore inner, string tenantId) : TenantGrantStore(inner, tenantId), ICallRecordStore
{
    /// <inheritdoc />
    public Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default) =>
        TenantCallRecords.AppendAsync(this, (ICallRecordStore)Inner, entries, cancellationToken);

    /// <inheritdoc />
    public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default) =>
        TenantCallRecords.ListAsync(this, (ICallRecordStore)Inner, query, cancellationToken);
}

/// <summary>The call-record half of a tenant view, shared by both views that have one.</summary>
internal static class TenantCallRecords
{
    public static Task AppendAsync(TenantStateStore view, ICallRecordStore inner, IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Any(e => e is not null && !string.Equals(e.TenantId, view.TenantId, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"This service is scoped to tenant '{view.TenantId}' (ApprovalService.ForTenant) and cannot record calls of another tenant.");
        }

        return inner.AppendCallRecordsAsync(entries, cancellationToken);
    }

    public static async Task<CallRecordPage> ListAsync(TenantStateStore view, ICallRecordStore inner, CallRecordQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.TenantId is not null && !string.Equals(query.TenantId, view.TenantId, StringComparison.Ordinal))
        {
            return new CallRecordPage([], null);
        }

        CallRecordPage page = await inner.ListCallRecordsAsync(query with { TenantId = view.TenantId }, cancellationToken);
        return page.Entries.All(e => string.Equals(e.TenantId, view.TenantId, StringComparison.Ordinal))
            ? page
            : throw new InvalidOperationException($"The store {inner.GetType().Name} returned call records of other tenants to a listing for tenant '{view.TenantId}': it ignores CallRecordQuery.TenantId.");
    }
}
