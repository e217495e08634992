namespace HumanInLoop.Internal;

/// <summary>
/// The names a relational store looks up for <see cref="StateQuery.Approver"/>, one index range each: the approver's id, its roles
/// and <see cref="StateEntry.AnyApprover"/>, distinct. Compiled into each store package.
/// </summary>
internal static class ApproverFilter
{
    /// <summary>The names to look up for <paramref name="approver"/>, distinct, in the order given.</summary>
    /// <param name="approver">The approver.</param>
    /// <returns>The names; never empty.</returns>
    public static IReadOnlyList<string> Names(Approver approver)
    {
        ArgumentNullException.ThrowIfNull(approver);
        List<string> names = [];
        foreach (string name in (IEnumerable<string>)[approver.Id, .. approver.Roles, StateEntry.AnyApprover])
        {
            if (name is not null && !names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>Whether a query's page is empty whatever is stored: it asks for an approver's inbox in a status other than pending.</summary>
    /// <param name="query">The query.</param>
    /// <returns><see langword="true"/> when no entry can match.</returns>
    public static bool MatchesNothing(StateQuery query) => query.Approver is not null && query.Status is { } status && status != ApprovalStatus.Pending;
}
