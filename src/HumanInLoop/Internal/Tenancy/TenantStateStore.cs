namespace HumanInLoop.Internal;

/// <summary>
/// One tenant's view of a store, under <see cref="ApprovalService.ForTenant"/>: listings ask the store for that tenant only
/// (<see cref="StateQuery.TenantId"/>, filtered in its query), a read of another tenant's approval answers like an id that does
/// not exist, and a write for another tenant is refused. A store that returns another tenant's row to a tenant listing (one
/// that ignores the filter) is refused rather than trusted.
/// </summary>
/// <remarks>Thread-safe when the store is.</remarks>
internal class TenantStateStore(IStateStore inner, string tenantId) : IStateStore
{
    /// <summary>Gets the tenant this view shows.</summary>
    public string TenantId => tenantId;

    /// <summary>Gets the whole store.</summary>
    protected internal IStateStore Inner => inner;

    /// <inheritdoc />
    public bool StoresHistorySeparately => inner.StoresHistorySeparately;

    /// <summary>The view of <paramref name="store"/> for <paramref name="tenantId"/>, with the same optional parts (grants, call records).</summary>
    public static TenantStateStore Create(IStateStore store, string tenantId) => store switch
    {
        IGrantStore and ICallRecordStore => new TenantRecordingStore(store, tenantId),
        IGrantStore => new TenantGrantStore(store, tenantId),
        ICallRecordStore => new TenantCallRecordStore(store, tenantId),
        _ => new TenantStateStore(store, tenantId),
    };

    /// <inheritdoc />
    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfOther(entry.TenantId, "approval");
        return inner.TryCreateAsync(entry, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        // One read by primary key whoever owns the row: an unknown id and another tenant's id cost the same and answer the same.
        StateEntry? entry = await inner.GetAsync(id, cancellationToken);
        return entry is not null && Owns(entry.TenantId) ? entry : null;
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        StateEntry? entry = await inner.GetWithoutHistoryAsync(id, cancellationToken);
        return entry is not null && Owns(entry.TenantId) ? entry : null;
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfOther(entry.TenantId, "approval");
        return inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.TenantId is not null && !Owns(query.TenantId))
        {
            return new StatePage([], null);
        }

        StatePage page = await inner.ListAsync(query with { TenantId = tenantId }, cancellationToken);
        return page.Entries.All(e => Owns(e.TenantId)) ? page : throw Ignored(nameof(StateQuery));
    }

    /// <summary>Gets whether <paramref name="owner"/> is this view's tenant.</summary>
    protected bool Owns(string? owner) => string.Equals(owner, tenantId, StringComparison.Ordinal);

    /// <summary>Throws unless <paramref name="owner"/> is this view's tenant.</summary>
    protected void ThrowIfOther(string? owner, string what)
    {
        if (!Owns(owner))
        {
            throw new InvalidOperationException(
                $"This service is scoped to tenant '{tenantId}' (ApprovalService.ForTenant) and cannot write an {what} of {(owner is null ? "no tenant" : $"tenant '{owner}'")}. Give the request the tenant's CallerContext.TenantId, or use the service of that tenant.");
        }
    }

    /// <summary>The error for a store that returned another tenant's row to a tenant listing.</summary>
    protected InvalidOperationException Ignored(string query) => new(
        $"The store {inner.GetType().Name} returned rows of other tenants to a listing for tenant '{tenantId}': it ignores {query}.TenantId, so it cannot serve ApprovalService.ForTenant. Filter by the tenant in the store's query.");
}
