namespace HumanInLoop.Notifications;

/// <summary>
/// The small durable memory of the notification side: which messages were delivered (so a restart does not send them
/// again), which host is sending a message now (so of several hosts only one sends it), and which approval links were used
/// (so a link works once).
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

    /// <summary>
    /// Claims the sending of a message until <paramref name="leaseUntil"/>, so that of several hosts sharing the store only one
    /// sends it: succeeds when nobody holds the message, when the holder's lease ended at or before <paramref name="now"/> (a host
    /// that died mid-send), or when <paramref name="owner"/> already holds it (its lease is then extended, so the same delivery's
    /// retries are never refused). Must be atomic across processes sharing the storage.
    /// </summary>
    /// <param name="deliveryKey">The key of the message.</param>
    /// <param name="owner">Who claims: one delivery on one host (an opaque, unique text).</param>
    /// <param name="now">The claimant's time (UTC), compared with the lease of a current holder.</param>
    /// <param name="leaseUntil">Until when the claim holds unless renewed or released (UTC).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when <paramref name="owner"/> holds the claim now; <see langword="false"/> when another owner does.</returns>
    /// <remarks>
    /// The default implementation claims always, which is right for one host only: a store shared by several hosts must
    /// implement this (the in-memory, SQLite and PostgreSQL stores do).
    /// </remarks>
    Task<bool> TryClaimDeliveryAsync(string deliveryKey, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return Task.FromResult(true);
    }

    /// <summary>Releases a claim of <see cref="TryClaimDeliveryAsync"/> held by <paramref name="owner"/>; a claim held by another owner, or none, is left as it is.</summary>
    /// <param name="deliveryKey">The key of the message.</param>
    /// <param name="owner">The owner that claimed it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the claim is released.</returns>
    Task ReleaseDeliveryClaimAsync(string deliveryKey, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return Task.CompletedTask;
    }

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
