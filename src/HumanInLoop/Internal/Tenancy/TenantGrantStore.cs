namespace HumanInLoop.Internal;

/// <summary>A <see cref="TenantStateStore"/> of a store that also keeps standing grants: a tenant sees and writes only its own.</summary>
internal class TenantGrantStore(IStateStore inner, string tenantId) : TenantStateStore(inner, tenantId), IGrantStore
{
    /// <inheritdoc />
    public Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfOther(entry.TenantId, "grant");
        return ((IGrantStore)Inner).TryCreateGrantAsync(entry, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        GrantEntry? entry = await ((IGrantStore)Inner).GetGrantAsync(id, cancellationToken);
        return entry is not null && Owns(entry.TenantId) ? entry : null;
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfOther(entry.TenantId, "grant");
        return ((IGrantStore)Inner).TryUpdateGrantAsync(entry, expectedVersion, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.TenantId is not null && !Owns(query.TenantId))
        {
            return new GrantPage([], null);
        }

        GrantPage page = await ((IGrantStore)Inner).ListGrantsAsync(query with { TenantId = TenantId }, cancellationToken);
        return page.Entries.All(e => Owns(e.TenantId)) ? page : throw Ignored(nameof(GrantQuery));
    }
}
