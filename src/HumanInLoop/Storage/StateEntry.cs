namespace HumanInLoop;

/// <summary>One stored approval: its serialized JSON and the columns a store indexes.</summary>
/// <param name="Id">The approval id.</param>
/// <param name="ConversationId">The conversation it belongs to, if any.</param>
/// <param name="Status">Its status.</param>
/// <param name="CreatedAt">When it was created (UTC, whole milliseconds).</param>
/// <param name="ExpiresAt">Its deadline for decisions (UTC, whole milliseconds).</param>
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
    string Data);
