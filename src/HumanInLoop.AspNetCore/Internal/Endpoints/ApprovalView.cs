namespace HumanInLoop.AspNetCore.Internal;

/// <summary>An approval as the inbox and the review screen show it: status, who asked, the calls, and a short excerpt of the conversation.</summary>
/// <remarks>Built from a stored <see cref="PendingApproval"/>; instances are immutable.</remarks>
internal sealed record ApprovalView
{
    /// <summary>Gets the approval id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets where the approval is in its life: a name of <see cref="ApprovalStatus"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Gets the conversation the approval belongs to.</summary>
    public string? ConversationId { get; init; }

    /// <summary>Gets the user on whose behalf the agent acted (the requester).</summary>
    public string? RequestedBy { get; init; }

    /// <summary>Gets the tenant, for multi-tenant hosts.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets when the calls were held (UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets the deadline for decisions (UTC).</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Gets when the approval last changed (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Gets every call of the held batch, in the model's order.</summary>
    public required IReadOnlyList<ApprovalCallView> Calls { get; init; }

    /// <summary>Gets the last messages of the conversation before the calls, as text (empty in listings).</summary>
    public IReadOnlyList<ConversationExcerptEntry> Excerpt { get; init; } = [];

    /// <summary>Gets the approval the conversation paused on next, after this one was resumed.</summary>
    public string? NextApprovalId { get; init; }
}
