namespace HumanInLoop;

/// <summary>Which grants to list (<see cref="IGrantStore.ListGrantsAsync"/>) and which page.</summary>
public sealed record GrantQuery
{
    private readonly int _pageSize = 100;

    /// <summary>Gets the tool to list only, or <see langword="null"/> for every tool.</summary>
    public string? ToolName { get; init; }

    /// <summary>Gets the tenant to list only, or <see langword="null"/> for every tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets a moment at which listed grants must be in force (not revoked, <see cref="GrantEntry.ExpiresAt"/> after it), or <see langword="null"/> to list all.</summary>
    public DateTimeOffset? ActiveAt { get; init; }

    /// <summary>Gets the most grants per page, from 1 to 1,000. The default is 100.</summary>
    public int PageSize
    {
        get => _pageSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1000);
            _pageSize = value;
        }
    }

    /// <summary>Gets the token of the previous page (<see cref="GrantPage.ContinuationToken"/>), or <see langword="null"/> for the first page.</summary>
    public string? ContinuationToken { get; init; }
}
