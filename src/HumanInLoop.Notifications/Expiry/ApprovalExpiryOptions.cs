namespace HumanInLoop.Notifications;

/// <summary>Settings of the expiry service: how often due approvals are expired, and whether they are escalated first.</summary>
/// <remarks>A plain settings object, validated once when the expiry service starts.</remarks>
public sealed class ApprovalExpiryOptions
{
    /// <summary>Gets or sets how often the service looks for approvals to escalate or expire.</summary>
    /// <value>Default 1 minute. An approval expires at most this long after its deadline (decisions and resumes refuse it at the deadline regardless).</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how long before its deadline an undecided approval is escalated to the escalation channels
    /// (<see cref="ApprovalNotificationOptions.EscalationChannels"/>), once; <see langword="null"/> for no escalation.
    /// </summary>
    /// <value>Default <see langword="null"/>. The deadline itself never moves: escalation asks more people before it passes.</value>
    public TimeSpan? EscalationLeadTime { get; set; }

    internal void Validate()
    {
        if (Interval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("ApprovalExpiryOptions: Interval must be more than zero.");
        }

        if (EscalationLeadTime is { } lead && lead <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("ApprovalExpiryOptions: EscalationLeadTime must be more than zero, or null for no escalation.");
        }
    }
}
