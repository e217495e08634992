namespace HumanInLoop.Notifications;

/// <summary>Settings of the background delivery of approval notifications: what is sent, and how failures are retried.</summary>
/// <remarks>A plain settings object, validated once when the delivery service starts.</remarks>
public sealed class ApprovalNotificationOptions
{
    /// <summary>Gets the kinds of change that are delivered to the channels.</summary>
    /// <value>Default: Pending, Escalated, Decided, Expired, Cancelled and InDoubt (Completed is left out: the workflow reports its own result).</value>
    public ISet<ApprovalNotificationKind> Kinds { get; } = new HashSet<ApprovalNotificationKind>
    {
        ApprovalNotificationKind.Pending,
        ApprovalNotificationKind.Escalated,
        ApprovalNotificationKind.Decided,
        ApprovalNotificationKind.Expired,
        ApprovalNotificationKind.Cancelled,
        ApprovalNotificationKind.InDoubt,
    };

    /// <summary>
    /// Gets the names of the channels kept for escalation: they receive only approvals close to their deadline
    /// (see <see cref="ApprovalExpiryOptions.EscalationLeadTime"/>), a policy's escalation (<see cref="ApprovalNotificationKind.Escalated"/>),
    /// and the announcements that follow an escalation.
    /// Every other channel receives every request and announcement.
    /// </summary>
    public ISet<string> EscalationChannels { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets or sets how many times one message is attempted before the delivery gives up until the next recovery sweep.</summary>
    /// <value>Default 8; from 1 to 100.</value>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Gets or sets the delay before the first retry; each further retry doubles it, with jitter.</summary>
    /// <value>Default 2 seconds.</value>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the longest delay between two attempts.</summary>
    /// <value>Default 5 minutes.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how many messages are sent at the same time.</summary>
    /// <value>Default 4; from 1 to 64.</value>
    public int MaxConcurrentDeliveries { get; set; } = 4;

    /// <summary>
    /// Gets or sets how often pending approvals are re-read from the store and those not yet delivered are sent
    /// (also done once at start). This is what makes a request survive a restart or a channel that failed every attempt.
    /// </summary>
    /// <value>Default 5 minutes.</value>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the longest a single attempt may take before it is cancelled and counted as a failure.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"ApprovalNotificationOptions: {message}");
            }
        }

        Require(MaxAttempts is >= 1 and <= 100, $"MaxAttempts must be from 1 to 100; it is {MaxAttempts}.");
        Require(InitialRetryDelay > TimeSpan.Zero, "InitialRetryDelay must be more than zero.");
        Require(MaxRetryDelay >= InitialRetryDelay, "MaxRetryDelay must be at least InitialRetryDelay.");
        Require(MaxConcurrentDeliveries is >= 1 and <= 64, $"MaxConcurrentDeliveries must be from 1 to 64; it is {MaxConcurrentDeliveries}.");
        Require(RecoveryInterval > TimeSpan.Zero, "RecoveryInterval must be more than zero.");
        Require(AttemptTimeout > TimeSpan.Zero, "AttemptTimeout must be more than zero.");
    }
}
