namespace HumanInLoop;

/// <summary>The outcome of evaluating one <see cref="IApprovalPolicy"/> against one tool call.</summary>
/// <remarks>Instances are immutable and may be cached and shared.</remarks>
public sealed class PolicyVerdict
{
    private PolicyVerdict(
        PolicyVerdictKind kind, string? reason, IReadOnlyList<string> approvers, TimeSpan? expiresAfter, int requiredApprovals = 1, ApprovalEscalation? escalation = null)
    {
        Escalation = escalation;
        Kind = kind;
        Reason = reason;
        Approvers = approvers;
        ExpiresAfter = expiresAfter;
        RequiredApprovals = requiredApprovals;
    }

    /// <summary>Gets the decision that says nothing about the call.</summary>
    public static PolicyVerdict NotApplicable { get; } = new(PolicyVerdictKind.NotApplicable, null, [], null);

    /// <summary>Gets the decision that lets the call run at once.</summary>
    public static PolicyVerdict Allow { get; } = new(PolicyVerdictKind.Allow, null, [], null);

    /// <summary>Gets what kind of decision this is.</summary>
    public PolicyVerdictKind Kind { get; }

    /// <summary>Gets why: shown to the approver for <see cref="PolicyVerdictKind.RequireApproval"/>, sent to the model for <see cref="PolicyVerdictKind.Deny"/>.</summary>
    public string? Reason { get; }

    /// <summary>Gets the ids or roles that may approve; empty means any approver the host lets decide.</summary>
    public IReadOnlyList<string> Approvers { get; }

    /// <summary>Gets how long the approval may wait for a decision; <see langword="null"/> uses <see cref="ApprovalOptions.DefaultExpiration"/>.</summary>
    public TimeSpan? ExpiresAfter { get; }

    /// <summary>Gets how many different people must approve the call before it may run (the four-eyes rule is 2); one rejection is enough to refuse it.</summary>
    public int RequiredApprovals { get; }

    /// <summary>
    /// Gets what happens when nobody decides in time: after <see cref="ApprovalEscalation.After"/> the call is escalated to
    /// <see cref="ApprovalEscalation.Approvers"/> (who may then decide besides <see cref="Approvers"/>), instead of waiting
    /// undecided until the deadline; <see langword="null"/> for no escalation.
    /// </summary>
    public ApprovalEscalation? Escalation { get; }

    /// <summary>Creates a decision that holds the call for a person.</summary>
    /// <param name="reason">Why, as shown to the approver.</param>
    /// <param name="approvers">Ids or roles that may approve; <see langword="null"/> or empty means any approver.</param>
    /// <param name="expiresAfter">How long the approval may wait; <see langword="null"/> uses the default.</param>
    /// <param name="requiredApprovals">How many different people must approve (default 1; 2 for a four-eyes rule).</param>
    /// <param name="escalation">
    /// Whom to escalate to, and when, if nobody decides in time; <see langword="null"/> for none. Needs <paramref name="approvers"/>
    /// (with none named anyone may already decide), a group that adds someone to them, and a time before <paramref name="expiresAfter"/>.
    /// </param>
    /// <returns>The decision.</returns>
    /// <exception cref="ArgumentException">The escalation cannot widen who may decide, or comes after the deadline.</exception>
    public static PolicyVerdict RequireApproval(
        string reason, IEnumerable<string>? approvers = null, TimeSpan? expiresAfter = null, int requiredApprovals = 1, ApprovalEscalation? escalation = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentOutOfRangeException.ThrowIfLessThan(requiredApprovals, 1);
        if (expiresAfter is { } after)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(after, TimeSpan.Zero, nameof(expiresAfter));
        }

        string[] first = approvers?.ToArray() ?? [];
        if (escalation is not null)
        {
            if (first.Length == 0)
            {
                throw new ArgumentException("An escalation widens who may decide, so it needs the first approvers named: with none, anyone may already decide.", nameof(escalation));
            }

            if (escalation.Approvers.All(a => first.Contains(a, StringComparer.Ordinal)))
            {
                throw new ArgumentException($"The escalation group ({string.Join(", ", escalation.Approvers)}) adds nobody to the approvers ({string.Join(", ", first)}).", nameof(escalation));
            }

            if (expiresAfter is { } deadline && escalation.After >= deadline)
            {
                throw new ArgumentException($"The escalation after {escalation.After} would come at or after the deadline ({deadline}); it must come before it.", nameof(escalation));
            }
        }

        return new(PolicyVerdictKind.RequireApproval, reason, first, expiresAfter, requiredApprovals, escalation);
    }

    /// <summary>Combines several policies' requirements (<see cref="Internal.PolicyEvaluator"/>): the parts were checked when each was made.</summary>
    internal static PolicyVerdict Combined(string reason, IReadOnlyList<string> approvers, TimeSpan? expiresAfter, int requiredApprovals, ApprovalEscalation? escalation) =>
        new(PolicyVerdictKind.RequireApproval, reason, approvers, expiresAfter, requiredApprovals, escalation);

    /// <summary>
    /// Gets whether the batch the call belongs to is all or nothing: when a call of the held batch is found in doubt after a crash,
    /// the calls of the batch that have not run yet are held (not run) until a person has reconciled it, and never run if it did
    /// not take effect. Otherwise they run. Any verdict of the batch that says so marks the whole batch (docs/states.md).
    /// </summary>
    public bool AllOrNothingBatch { get; private init; }

    /// <summary>Marks the batch of this call all or nothing (<see cref="AllOrNothingBatch"/>).</summary>
    /// <returns>A copy of this decision that marks its batch all or nothing.</returns>
    public PolicyVerdict InAllOrNothingBatch() =>
        new(Kind, Reason, Approvers, ExpiresAfter, RequiredApprovals, Escalation) { AllOrNothingBatch = true, Rule = Rule, Version = Version };

    /// <summary>
    /// Gets the rule within the policy that gave this verdict (a configured rule's name, for example), recorded after the policy's
    /// name (<c>policy/rule</c>) in <see cref="RecordedVerdict.Policies"/>; <see langword="null"/> when the policy is its own rule.
    /// </summary>
    public string? Rule { get; private init; }

    /// <summary>
    /// Gets the version of the rules that gave this verdict (a rule set's content hash and label, for example), recorded with the
    /// call so that a reader can tell which rules were in force; <see langword="null"/> when the policy has no version of its own.
    /// </summary>
    /// <remarks>A policy whose rules change while the process runs names the version on every verdict, <see cref="PolicyVerdictKind.NotApplicable"/> included.</remarks>
    public string? Version { get; private init; }

    /// <summary>Names the rule and the version of the rules that gave this verdict (<see cref="Rule"/>, <see cref="Version"/>).</summary>
    /// <param name="rule">The rule within the policy, or <see langword="null"/> when the policy is its own rule.</param>
    /// <param name="version">The version of the rules, or <see langword="null"/> when they have none.</param>
    /// <returns>A copy of this verdict that names them.</returns>
    public PolicyVerdict WithOrigin(string? rule, string? version) =>
        new(Kind, Reason, Approvers, ExpiresAfter, RequiredApprovals, Escalation) { AllOrNothingBatch = AllOrNothingBatch, Rule = rule, Version = version };

    /// <summary>Creates a decision that refuses the call; the model receives a result saying so.</summary>
    /// <param name="reason">Why, as sent to the model.</param>
    /// <returns>The decision.</returns>
    public static PolicyVerdict Deny(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(PolicyVerdictKind.Deny, reason, [], null);
    }

    /// <inheritdoc />
    public override string ToString() => Reason is null ? Kind.ToString() : $"{Kind}: {Reason}";
}
