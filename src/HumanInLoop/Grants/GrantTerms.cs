namespace HumanInLoop;

/// <summary>
/// What an approver asks for when approving a call "and don't ask again": a standing grant of the call's tool, for the scope
/// (this user, conversation or tenant), bounded arguments and duration given here. Set on <see cref="ApprovalDecision.Grant"/>.
/// </summary>
/// <remarks>
/// The grant's tool and scope values come from the approved call. Without <see cref="ArgumentBounds"/> the grant covers every
/// argument value; bound what matters (<c>to = "bob"</c>, <c>amount ≤ 200</c>). Only approvers named in
/// <see cref="ApprovalOptions.Granters"/> may grant.
/// </remarks>
public sealed record GrantTerms
{
    /// <summary>Initializes a new instance of the <see cref="GrantTerms"/> class.</summary>
    /// <param name="scope">Whose later calls the grant covers.</param>
    /// <param name="duration">How long the grant lasts, from when it is made; at most <see cref="MaxDuration"/>.</param>
    /// <param name="argumentBounds">Bounds on the later calls' arguments; all must hold.</param>
    public GrantTerms(GrantScope scope, TimeSpan duration, params IEnumerable<GrantArgumentBound> argumentBounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, MaxDuration);
        ArgumentNullException.ThrowIfNull(argumentBounds);
        Scope = scope;
        Duration = duration;
        ArgumentBounds = [.. argumentBounds];
        foreach (GrantArgumentBound bound in ArgumentBounds)
        {
            ArgumentNullException.ThrowIfNull(bound, nameof(argumentBounds));
        }
    }

    /// <summary>The longest a grant may last: 90 days. Standing permissions are reviewed, not forgotten.</summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromDays(90);

    /// <summary>Gets whose later calls the grant covers.</summary>
    public GrantScope Scope { get; }

    /// <summary>Gets how long the grant lasts.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets the bounds on the later calls' arguments.</summary>
    public IReadOnlyList<GrantArgumentBound> ArgumentBounds { get; }
}
