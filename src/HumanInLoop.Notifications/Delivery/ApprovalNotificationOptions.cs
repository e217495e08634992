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

    /// <summary>
    /// Gets or sets the base delay of the retries: Polly's exponential backoff with jitter, where the delay before the first
    /// retry is about this (randomized around it) and each further retry about doubles it, up to <see cref="MaxRetryDelay"/>.
    /// Retries of many messages therefore spread out instead of arriving together.
    /// </summary>
    /// <value>Default 2 seconds; more than zero, at most 1 day.</value>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the longest delay between two attempts.</summary>
    /// <value>Default 5 minutes; at least <see cref="InitialRetryDelay"/>, at most 1 day.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how many delivery attempts run at the same time (a message waiting out its backoff does not count).</summary>
    /// <value>Default 4; from 1 to 64.</value>
    public int MaxConcurrentDeliveries { get; set; } = 4;

    /// <summary>
    /// Gets or sets how often pending approvals are re-read from the store and those not yet delivered are sent
    /// (also done once at start). This is what makes a request survive a restart or a channel that failed every attempt.
    /// </summary>
    /// <value>Default 5 minutes.</value>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the longest a single attempt may take before it is cancelled and counted as a failure (Polly's timeout, on the host's <see cref="TimeProvider"/>).</summary>
    /// <value>Default 30 seconds; from 10 milliseconds to 1 day.</value>
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
        Require(InitialRetryDelay > TimeSpan.Zero && InitialRetryDelay <= TimeSpan.FromDays(1), $"InitialRetryDelay must be more than zero and at most 1 day; it is {InitialRetryDelay}.");
        Require(MaxRetryDelay >= InitialRetryDelay && MaxRetryDelay <= TimeSpan.FromDays(1), $"MaxRetryDelay must be at least InitialRetryDelay and at most 1 day; it is {MaxRetryDelay}.");
        Require(MaxConcurrentDeliveries is >= 1 and <= 64, $"MaxConcurrentDeliveries must be from 1 to 64; it is {MaxConcurrentDeliveries}.");
        Require(RecoveryInterval > TimeSpan.Zero, "RecoveryInterval must be more than zero.");
        Require(AttemptTimeout >= TimeSpan.FromMilliseconds(10) && AttemptTimeout <= TimeSpan.FromDays(1), $"AttemptTimeout must be from 10 milliseconds to 1 day; it is {AttemptTimeout}.");
    }
}
