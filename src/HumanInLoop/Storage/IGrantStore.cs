namespace HumanInLoop;

/// <summary>
/// A store that also keeps standing grants (<see cref="ApprovalGrant"/>): the "don't ask again" permissions approvers give.
/// </summary>
/// <remarks>
/// <para>
/// Grants are created once and then only updated to revoke them, with the same optimistic concurrency as approvals: an update
/// succeeds only if the stored <see cref="GrantEntry.Version"/> is the one expected. The store treats
/// <see cref="GrantEntry.Data"/> as opaque text; the other fields are copies kept for filtering.
/// </para>
/// <para>
/// Reads must see every committed create and update (no cache): a call checked after a revoke commits must not be allowed by
/// the revoked grant. The contract suite in <c>tests/HumanInLoop.Testing</c> (<c>GrantStoreContractTests</c>) checks an implementation.
/// </para>
/// </remarks>
public interface IGrantStore : IStateStore
{
    /// <summary>Stores a new grant.</summary>
    /// <param name="entry">The grant, with <see cref="GrantEntry.Version"/> 1.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> if stored; <see langword="false"/> if a grant with that id exists.</returns>
    Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reads one grant.</summary>
    /// <param name="id">The grant's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The grant, or <see langword="null"/> if there is none with that id.</returns>
    Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces a grant if its stored version is <paramref name="expectedVersion"/>.</summary>
    /// <param name="entry">The new state, with <see cref="GrantEntry.Version"/> = <paramref name="expectedVersion"/> + 1.</param>
    /// <param name="expectedVersion">The version read before the change.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> if replaced; <see langword="false"/> if the grant is missing or was changed meanwhile.</returns>
    Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Lists grants, newest first (by <see cref="GrantEntry.CreatedAt"/>, then <see cref="GrantEntry.Id"/>), one page at a time.</summary>
    /// <param name="query">The filter and the page.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One page of grants.</returns>
    Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default);
}
