namespace HumanInLoop;

/// <summary>One stored approval: its serialized JSON and the columns a store indexes.</summary>
/// <param name="Id">The approval id.</param>
/// <param name="ConversationId">The conversation it belongs to, if any.</param>
/// <param name="Status">Its status.</param>
/// <param name="CreatedAt">When it was created (UTC, whole milliseconds).</param>
/// <param name="ExpiresAt">
/// When it is next due for a change nobody asks for (UTC, whole milliseconds): its deadline for decisions, or an escalation due
/// before it (<see cref="PendingToolCall.EscalatesAt"/>). A sweep finds due approvals by it; <see cref="PendingApproval.ExpiresAt"/> is the deadline.
/// </param>
/// <param name="UpdatedAt">When it last changed (UTC, whole milliseconds).</param>
/// <param name="Version">Its version, 1 when created and one more on each change.</param>
/// <param name="Data">The approval as written by <see cref="PendingApprovalSerializer"/>; stored byte for byte.</param>
public sealed record StateEntry(
    string Id,
    string? ConversationId,
    ApprovalStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset UpdatedAt,
    long Version,
    string Data)
{
    /// <summary>Gets the approval id.</summary>
    /// <exception cref="ArgumentException">Not valid text (a lone surrogate): no store could keep it exactly.</exception>
    public string Id { get; init => field = WellFormed(value, nameof(Id)); } = WellFormed(Id, nameof(Id));

    /// <summary>Gets the conversation it belongs to, if any.</summary>
    /// <exception cref="ArgumentException">Not valid text (a lone surrogate): no store could keep it exactly.</exception>
    public string? ConversationId { get; init => field = value is null ? null : WellFormed(value, nameof(ConversationId)); } =
        ConversationId is null ? null : WellFormed(ConversationId, nameof(ConversationId));

    /// <summary>
    /// Gets the tenant the approval belongs to (<see cref="CallerContext.TenantId"/> of the held request), kept as a column so
    /// that <see cref="StateQuery.TenantId"/> filters in the store's query; <see langword="null"/> when the request named none.
    /// </summary>
    /// <exception cref="ArgumentException">Not valid text (a lone surrogate): no store could keep it exactly.</exception>
    public string? TenantId { get; init => field = value is null ? null : WellFormed(value, nameof(TenantId)); }

    /// <summary>The name in <see cref="Approvers"/> that stands for a call anyone may decide (its policies name no approver): the empty string, which no <see cref="Approver.Id"/> can be.</summary>
    public const string AnyApprover = "";

    /// <summary>
    /// Gets who may decide the approval now, kept as an indexed list so that <see cref="StateQuery.Approver"/> filters in the store's
    /// query: the ids and roles named by its calls awaiting a decision (<see cref="PendingToolCall.Approvers"/>), with
    /// <see cref="AnyApprover"/> for a call anyone may decide; <see langword="null"/> when nobody may (it is not
    /// <see cref="ApprovalStatus.Pending"/>, or no call awaits a decision). Distinct and in ordinal order; an empty list is kept as
    /// <see langword="null"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A name is <see langword="null"/> or not valid text (a lone surrogate).</exception>
    public IReadOnlyList<string>? Approvers
    {
        get;
        init => field = value is null ? null : Internal.ApproverNames.From(value) is { Count: > 0 } names ? names : null;
    }

    /// <summary>
    /// Gets the held conversation (the approval's messages as a JSON array) when the store keeps it apart from
    /// <see cref="Data"/> (<see cref="IStateStore.StoresHistorySeparately"/>): given to <see cref="IStateStore.TryCreateAsync"/>,
    /// never replaced afterwards (<see cref="IStateStore.TryUpdateAsync"/> keeps the stored one, whatever its entry carries),
    /// and returned with every read. <see langword="null"/> when <see cref="Data"/> holds the conversation.
    /// </summary>
    /// <remarks>A conversation never changes after the hold; keeping it apart spares every later change rewriting it.</remarks>
    public string? History { get; init; }

    // A lone surrogate is written as U+FFFD by some databases and refused by others: two ids would become one row. Checked
    // when constructed and in `with` expressions alike.
    internal static string WellFormed(string value, string name) => value is null || Internal.Utf16Text.IsWellFormed(value)
        ? value!
        : throw new ArgumentException($"The {name} is not valid text (it holds a lone surrogate), so a store cannot keep it exactly.", name);
}
