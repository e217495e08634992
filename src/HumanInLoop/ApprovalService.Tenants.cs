using System.Collections.Concurrent;
using HumanInLoop.Internal;

namespace HumanInLoop;

public sealed partial class ApprovalService
{
    private readonly ConcurrentDictionary<string, ApprovalService> _tenants = new(StringComparer.Ordinal);
    private readonly Func<IStateStore, ApprovalService> _createView;

    /// <summary>Gets the tenant this service is scoped to (<see cref="ForTenant"/>), or <see langword="null"/> for the whole store.</summary>
    public string? TenantId => (Store as TenantStateStore)?.TenantId;

    /// <summary>
    /// Gets this service scoped to one tenant: everything it lists, reads, decides, resumes, grants, exports, replays and reports
    /// is that tenant's (<see cref="CallerContext.TenantId"/>) and nothing else. An approval or grant of another tenant answers
    /// exactly like an id that does not exist (<see cref="ApprovalNotFoundException"/>, <see cref="GrantNotFoundException"/>), after
    /// the same single read; listings ask the store for the tenant only (<see cref="StateQuery.TenantId"/>, filtered in its query).
    /// </summary>
    /// <remarks>
    /// Same policies, options and store. Approvals held through it must carry the tenant's <see cref="CallerContext.TenantId"/>
    /// (anything else is refused with <see cref="InvalidOperationException"/>). It keeps no audit archive of purged approvals
    /// (those are read through the whole store), and it records calls on its own queue: flush it with
    /// <see cref="FlushCallRecordsAsync"/> of the tenant's service. Services are kept per tenant, so calling it per request is cheap.
    /// </remarks>
    /// <param name="tenantId">The tenant.</param>
    /// <returns>The tenant's service.</returns>
    /// <exception cref="ArgumentException"><paramref name="tenantId"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">This service is already scoped to another tenant (a scope never widens).</exception>
    public ApprovalService ForTenant(string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        StateEntry.WellFormed(tenantId, nameof(tenantId));
        if (TenantId is { } scoped)
        {
            return string.Equals(scoped, tenantId, StringComparison.Ordinal)
                ? this
                : throw new InvalidOperationException($"This service is scoped to tenant '{scoped}'; a tenant's service cannot open another tenant's. Call ForTenant on the service of the whole store.");
        }

        return _tenants.GetOrAdd(tenantId, (id, service) => service._createView(TenantStateStore.Create(service.Store, id)), this);
    }
}
