namespace HumanInLoop;

/// <summary>A person (or service account) who decides on a pending tool call.</summary>
/// <remarks>
/// The host authenticates the approver and builds this value; the library never takes it from model output or
/// message text. A policy may restrict who may approve a call by id or role
/// (<see cref="PolicyVerdict.Approvers"/>).
/// </remarks>
public sealed record Approver
{
    /// <summary>Initializes a new instance of the <see cref="Approver"/> record.</summary>
    /// <param name="id">The authenticated id of the approver.</param>
    /// <param name="roles">The roles the host has granted the approver.</param>
    public Approver(string id, IReadOnlyList<string>? roles = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
        Roles = roles ?? [];
    }

    /// <summary>Gets the authenticated id of the approver.</summary>
    public string Id { get; }

    /// <summary>Gets the roles the host has granted the approver.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>
    /// Gets the tenant the approver belongs to, or <see langword="null"/> for an approver of no tenant (for example, an operator of
    /// the host). An approver of a tenant can decide, cancel, reconcile and revoke only that tenant's approvals and grants: any other
    /// answers exactly like an id that does not exist (<see cref="ApprovalNotFoundException"/>, <see cref="GrantNotFoundException"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Empty or white space.</exception>
    public string? TenantId
    {
        get;
        init => field = value is null || !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("A tenant id must not be empty.", nameof(TenantId));
    }

    /// <summary>Gets a value indicating whether this approver may see what belongs to <paramref name="tenantId"/>.</summary>
    internal bool Sees(string? tenantId) => TenantId is null || string.Equals(TenantId, tenantId, StringComparison.Ordinal);

    /// <summary>Gets a value indicating whether this approver is named in <paramref name="allowed"/> by id or role.</summary>
    /// <param name="allowed">Ids and roles that may approve; empty means anyone may.</param>
    /// <returns><see langword="true"/> when the approver may decide.</returns>
    public bool IsAnyOf(IReadOnlyCollection<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (allowed.Count == 0)
        {
            return true;
        }

        foreach (string name in allowed)
        {
            if (string.Equals(name, Id, StringComparison.Ordinal) || Roles.Contains(name, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
