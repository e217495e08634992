namespace HumanInLoop;

/// <summary>
/// What a policy asks for when nobody decides a held call in time: after <see cref="After"/>, the call is escalated to another
/// approver group (<see cref="Approvers"/>) instead of expiring. The escalation group may then decide, and the first group still
/// may; the notifiers are told (<see cref="ApprovalNotificationKind.Escalated"/>). The approval still expires at its final deadline.
/// </summary>
/// <remarks>Instances are immutable and may be cached and shared.</remarks>
public sealed class ApprovalEscalation
{
    /// <summary>Initializes a new instance of the <see cref="ApprovalEscalation"/> class.</summary>
    /// <param name="after">How long after the hold an undecided call is escalated; more than zero.</param>
    /// <param name="approvers">The ids or roles of the escalation group: at least one, none blank.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="after"/> is not more than zero.</exception>
    /// <exception cref="ArgumentException">The group names nobody, or a blank or invalid name.</exception>
    public ApprovalEscalation(TimeSpan after, IEnumerable<string> approvers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(after, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(approvers);
        string[] group = [.. approvers.Distinct(StringComparer.Ordinal)];
        if (group.Length == 0)
        {
            throw new ArgumentException("An escalation group must name at least one approver id or role.", nameof(approvers));
        }

        foreach (string name in group)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('\0', StringComparison.Ordinal) || !Internal.Utf16Text.IsWellFormed(name))
            {
                throw new ArgumentException($"The escalation group names an approver that cannot exist ('{name}'): every name must be a real id or role.", nameof(approvers));
            }
        }

        After = after;
        Approvers = group;
    }

    private ApprovalEscalation(TimeSpan after, string[] approvers, bool _)
    {
        After = after;
        Approvers = approvers;
    }

    /// <summary>Gets how long after the hold an undecided call is escalated.</summary>
    public TimeSpan After { get; }

    /// <summary>Gets the ids or roles of the escalation group, who may decide the call once it is escalated.</summary>
    public IReadOnlyList<string> Approvers { get; }

    /// <inheritdoc />
    public override string ToString() => $"after {After} to {string.Join(", ", Approvers)}";

    /// <summary>Makes an escalation from names already checked (the combination of several policies' escalations).</summary>
    internal static ApprovalEscalation Combined(TimeSpan after, string[] approvers) => new(after, approvers, true);

    /// <summary>
    /// Who may decide a call once it is escalated: the first group and the escalation group. A call anyone may decide stays so;
    /// contradictory first lists (<see cref="Internal.PolicyEvaluator.NoCommonApprover"/>) give way to a group every policy agreed on.
    /// </summary>
    internal static IReadOnlyList<string> Widen(IReadOnlyList<string> approvers, IReadOnlyList<string> group) =>
        approvers.Count == 0 || group.Count == 0
            ? approvers
            : [.. approvers.Where(a => a != Internal.PolicyEvaluator.NoCommonApprover).Concat(group).Distinct(StringComparer.Ordinal)];
}
