namespace HumanInLoop;

/// <summary>The order of the entries <see cref="IStateStore.ListAsync"/> returns, page after page (<see cref="StateQuery.Order"/>).</summary>
public enum StateOrder
{
    /// <summary>Newest <see cref="StateEntry.CreatedAt"/> first, then greater <see cref="StateEntry.Id"/> (ordinal) first. The default.</summary>
    NewestFirst = 0,

    /// <summary>
    /// Soonest <see cref="StateEntry.ExpiresAt"/> first (the deadline, or an escalation due before it), then smaller
    /// <see cref="StateEntry.Id"/> (ordinal) first: what an approver should decide next. The built-in stores serve it from an index
    /// for a <see cref="StateQuery.Status"/> (with a tenant, or an approver's inbox, too).
    /// </summary>
    SoonestDeadlineFirst = 1,
}
