using System.Collections.Concurrent;

namespace HumanInLoop.Internal;

/// <summary>
/// The tenants' services of one <see cref="ApprovalService"/> (<see cref="ApprovalService.ForTenant"/>): each the same policies and
/// options over a <see cref="TenantStateStore"/> of the same store, made once per tenant and kept.
/// </summary>
/// <remarks>
/// Thread-safe. A tenant's service keeps no audit archive of purged approvals (read those through the whole store) and records
/// calls on its own queue: flush it with <see cref="ApprovalService.FlushCallRecordsAsync"/> of the tenant's service.
/// </remarks>
/// <param name="create">Makes a service over a tenant's view, with the owner's policies and options.</param>
internal sealed class TenantViews(Func<IStateStore, ApprovalService> create)
{
    private readonly ConcurrentDictionary<string, ApprovalService> _services = new(StringComparer.Ordinal);

    public ApprovalService For(ApprovalService owner, string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        StateEntry.WellFormed(tenantId, nameof(tenantId));
        if (owner.TenantId is { } scoped)
        {
            return string.Equals(scoped, tenantId, StringComparison.Ordinal)
                ? owner
                : throw new InvalidOperationException($"This service is scoped to tenant '{scoped}'; a tenant's service cannot open another tenant's. Call ForTenant on the service of the whole store.");
        }

        return _services.GetOrAdd(tenantId, (id, state) => state.create(TenantStateStore.Create(state.owner.Store, id)), (create, owner));
    }
}
