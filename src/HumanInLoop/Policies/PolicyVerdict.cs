namespace HumanInLoop;

/// <summary>The outcome of evaluating one <see cref="IApprovalPolicy"/> against one tool call.</summary>
/// <remarks>Instances are immutable and may be cached and shared.</remarks>
public sealed class PolicyVerdict
{
    private PolicyVerdict(PolicyVerdictKind kind, string? reason, IReadOnlyList<string> approvers, TimeSpan? expiresAfter, int requiredApprovals = 1)
    {
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

    /// <summary>Creates a decision that holds the call for a person.</summary>
    /// <param name="reason">Why, as shown to the approver.</param>
    /// <param name="approvers">Ids or roles that may approve; <see langword="null"/> or empty means any approver.</param>
    /// <param name="expiresAfter">How long the approval may wait; <see langword="null"/> uses the default.</param>
    /// <param name="requiredApprovals">How many different people must approve (default 1; 2 for a four-eyes rule).</param>
    /// <returns>The decision.</returns>
    public static PolicyVerdict RequireApproval(string reason, IEnumerable<string>? approvers = null, TimeSpan? expiresAfter = null, int requiredApprovals = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentOutOfRangeException.ThrowIfLessThan(requiredApprovals, 1);
        if (expiresAfter is { } after)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(after, TimeSpan.Zero, nameof(expiresAfter));
        }

        return new(PolicyVerdictKind.RequireApproval, reason, approvers?.ToArray() ?? [], expiresAfter, requiredApprovals);
    }

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
