using System.Runtime.CompilerServices;
using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>
/// The standing grants ("don't ask again") approvers made: read, list and revoke. Reached through
/// <see cref="ApprovalService.Grants"/>; grants are made with <see cref="ApprovalDecision.Grant"/>.
/// </summary>
/// <remarks>Thread-safe. A store that keeps no grants (<see cref="IGrantStore"/>) lists none and finds none.</remarks>
public sealed class StandingGrants
{
    private readonly IStateStore _store;
    private readonly ISet<string> _granters;
    private readonly ApprovalClock _clock;

    internal StandingGrants(IStateStore store, ISet<string> granters, ApprovalClock clock)
    {
        _store = store;
        _granters = granters;
        _clock = clock;
    }

    /// <summary>Reads one grant.</summary>
    /// <param name="grantId">The grant's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The grant.</returns>
    /// <exception cref="GrantNotFoundException">There is no such grant.</exception>
    /// <exception cref="ApprovalStateFormatException">The stored grant is malformed or was changed outside HumanInLoop.</exception>
    public async Task<ApprovalGrant> GetAsync(string grantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(grantId);
        return _store is IGrantStore grants && await grants.GetGrantAsync(grantId, cancellationToken) is { } entry
            ? GrantFormat.Read(entry)
            : throw new GrantNotFoundException(grantId);
    }

    /// <summary>Lists grants, newest first, following the store's pages.</summary>
    /// <param name="query">The filter (tool, tenant, in force at a moment); <see langword="null"/> lists all.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The grants.</returns>
    public async IAsyncEnumerable<ApprovalGrant> ListAsync(GrantQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_store is not IGrantStore grants)
        {
            yield break;
        }

        query ??= new GrantQuery();
        do
        {
            GrantPage page = await grants.ListGrantsAsync(query, cancellationToken);
            foreach (GrantEntry entry in page.Entries)
            {
                yield return GrantFormat.Read(entry);
            }

            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);
    }

    /// <summary>Reads one page of grants, newest first: for a screen or an endpoint that pages with <see cref="GrantQuery.ContinuationToken"/>.</summary>
    /// <param name="query">The filter, page size and the previous page's token.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The page; empty with no token when the store keeps no grants.</returns>
    /// <exception cref="ArgumentException">The continuation token is malformed.</exception>
    public async Task<ApprovalGrantPage> ListPageAsync(GrantQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_store is not IGrantStore grants)
        {
            return new ApprovalGrantPage([], null);
        }

        GrantPage page = await grants.ListGrantsAsync(query, cancellationToken);
        return new ApprovalGrantPage([.. page.Entries.Select(GrantFormat.Read)], page.ContinuationToken);
    }

    /// <summary>Revokes a grant: from when the revoke commits, it allows nothing.</summary>
    /// <param name="grantId">The grant's id.</param>
    /// <param name="revoker">Who revokes: the grant's maker, or one of <see cref="ApprovalOptions.Granters"/>.</param>
    /// <param name="reason">Why, recorded on the grant.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The revoked grant. Revoking a revoked grant changes nothing and returns it as the first revoke left it.</returns>
    /// <exception cref="GrantNotFoundException">There is no such grant.</exception>
    /// <exception cref="ApprovalForbiddenException"><paramref name="revoker"/> may not revoke it.</exception>
    public async Task<ApprovalGrant> RevokeAsync(string grantId, Approver revoker, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(revoker);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        for (int attempt = 0; attempt < ApprovalRecords.MaxConcurrentRetries; attempt++)
        {
            ApprovalGrant grant = await GetAsync(grantId, cancellationToken);
            if (!revoker.Sees(grant.TenantId))
            {
                throw new GrantNotFoundException(grantId); // another tenant's grant answers like one that does not exist
            }

            if (revoker.Id != grant.GrantedBy && (_granters.Count == 0 || !revoker.IsAnyOf([.. _granters])))
            {
                throw new ApprovalForbiddenException(grant.ApprovalId, grant.CallId, $"'{revoker.Id}' may not revoke grant '{grantId}' (only its maker or a granter may).");
            }

            if (grant.RevokedAt is not null)
            {
                return grant; // already revoked: the first revoke's who, when and why stay
            }

            long expected = grant.Version;
            grant.RevokedBy = revoker.Id;
            grant.RevokedAt = _clock.Now();
            grant.RevokeReason = reason;
            grant.Version = expected + 1;
            if (await ((IGrantStore)_store).TryUpdateGrantAsync(GrantFormat.ToEntry(grant), expected, cancellationToken))
            {
                return grant;
            }
        }

        throw new InvalidOperationException($"Grant '{grantId}' kept changing while being revoked; try again.");
    }
}
