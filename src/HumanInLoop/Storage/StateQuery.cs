namespace HumanInLoop;

/// <summary>A filter and page for <see cref="IStateStore.ListAsync"/>.</summary>
public sealed record StateQuery
{
    private readonly int _pageSize = 50;

    /// <summary>Gets only entries of this conversation, or all when <see langword="null"/>.</summary>
    /// <exception cref="ArgumentException">Not valid text (a lone surrogate).</exception>
    public string? ConversationId
    {
        get;
        init => field = value is null ? null : StateEntry.WellFormed(value, nameof(ConversationId));
    }

    /// <summary>
    /// Gets only entries of this tenant (<see cref="StateEntry.TenantId"/>), or all when <see langword="null"/>. Stores filter by it
    /// in their query, with an index: a page never holds, and a store never reads for it, another tenant's entries.
    /// </summary>
    /// <exception cref="ArgumentException">Not valid text (a lone surrogate).</exception>
    public string? TenantId
    {
        get;
        init => field = value is null ? null : StateEntry.WellFormed(value, nameof(TenantId));
    }

    /// <summary>
    /// Gets only pending entries this approver is named to decide, or all when <see langword="null"/>: those whose
    /// <see cref="StateEntry.Approvers"/> hold its <see cref="HumanInLoop.Approver.Id"/>, one of its <see cref="HumanInLoop.Approver.Roles"/>,
    /// or <see cref="StateEntry.AnyApprover"/> (a call anyone may decide). Its inbox, one index range per name: stores filter by it in
    /// their query. With a <see cref="Status"/> other than <see cref="ApprovalStatus.Pending"/> the page is empty.
    /// </summary>
    /// <remarks>
    /// The approver's <see cref="HumanInLoop.Approver.TenantId"/> is not applied (set <see cref="TenantId"/> too), nor is
    /// <see cref="ApprovalOptions.PreventSelfApproval"/>: the inbox may list a request the approver made, which a decision then refuses.
    /// </remarks>
    public Approver? Approver { get; init; }

    /// <summary>Gets only entries in this status, or all when <see langword="null"/>.</summary>
    public ApprovalStatus? Status { get; init; }

    /// <summary>Gets the earliest <see cref="StateEntry.CreatedAt"/> to list (inclusive), or <see langword="null"/> for no lower bound.</summary>
    /// <remarks>A store written before this filter existed ignores it; <see cref="ApprovalHistory"/> filters again as it reads.</remarks>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Gets the <see cref="StateEntry.CreatedAt"/> to list only before (exclusive), or <see langword="null"/> for no upper bound.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Gets the most entries to return.</summary>
    /// <value>Default 50; from 1 to 1000.</value>
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

    /// <summary>Gets the order of the entries, kept across pages: a continuation token continues only the order it was made in.</summary>
    /// <value>Default <see cref="StateOrder.NewestFirst"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined <see cref="StateOrder"/>.</exception>
    /// <remarks>
    /// A store written before this property existed ignores it and lists newest first; its pages then come in creation order, and a
    /// caller that needs the deadline order across pages (the approver console) can only sort within each page.
    /// </remarks>
    public StateOrder Order
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Not a defined StateOrder.");
    }

    /// <summary>
    /// Gets whether the entries carry their <see cref="StateEntry.History"/>: <see langword="false"/> for a listing that does not need
    /// the conversations (a sweep, a guard, a poller), which a store that keeps them apart (<see cref="IStateStore.StoresHistorySeparately"/>)
    /// then does not read; every other column, the filter, the order and the paging are the same.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    /// <remarks>
    /// A store written before this property existed ignores it and returns the conversations, which callers accept too. The library
    /// takes an entry listed without one as read without it only from a store that implements
    /// <see cref="IStateStore.GetWithoutHistoryAsync"/>; approvals that <see cref="ApprovalService.ListAsync"/> then returns throw
    /// <see cref="InvalidOperationException"/> from <see cref="PendingApproval.Messages"/> (everything else is read and verified as usual).
    /// </remarks>
    public bool IncludeHistory { get; init; } = true;

    /// <summary>Gets the <see cref="StatePage.ContinuationToken"/> of the previous page, or <see langword="null"/> for the first.</summary>
    public string? ContinuationToken { get; init; }
}
