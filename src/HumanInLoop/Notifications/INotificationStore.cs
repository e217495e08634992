namespace HumanInLoop.Notifications;

/// <summary>
/// The small durable memory of the notification side: which messages were delivered (so a restart does not send them
/// again) and which approval links were used (so a link works once).
/// </summary>
/// <remarks>
/// <para>
/// The approval store stays the only authority on approvals; this store only prevents repeats. Implementations must be
/// thread-safe, and <see cref="TryConsumeLinkTokenAsync"/> must be atomic across processes sharing the storage.
/// </para>
/// <para>
/// The contract lives in the core package so that the store packages provide durable implementations without depending on
/// the channels: <c>AddHumanInLoopSqliteNotificationStore</c> (HumanInLoop.Sqlite) and
/// <c>AddHumanInLoopPostgreSqlNotificationStore</c> (HumanInLoop.PostgreSql). <c>AddHumanInLoopNotifications</c>
/// (HumanInLoop.Notifications) uses an in-memory store when none is registered.
/// </para>
/// </remarks>
public interface INotificationStore
{
    /// <summary>Tells whether a message was recorded as delivered.</summary>
    /// <param name="deliveryKey">The key of the message (approval, kind, call, channel).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when it was delivered.</returns>
    Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default);

    /// <summary>Records that a message was delivered; recording it twice is harmless.</summary>
    /// <param name="deliveryKey">The key of the message.</param>
    /// <param name="deliveredAt">When (UTC).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default);

    /// <summary>Records that a link token was used, if it was not before: exactly one caller gets <see langword="true"/> per token.</summary>
    /// <param name="tokenHash">The SHA-256 hash of the token (the token itself is never stored).</param>
    /// <param name="expiresAt">When the token expires; the record may be purged after that.</param>
    /// <param name="usedAt">When it was used (UTC).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> for the first use; <see langword="false"/> when the token was used before.</returns>
    Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default);

    /// <summary>Tells whether a link token was used.</summary>
    /// <param name="tokenHash">The SHA-256 hash of the token.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when it was used.</returns>
    Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default);
}
