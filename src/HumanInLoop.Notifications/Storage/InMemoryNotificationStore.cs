using System.Collections.Concurrent;

namespace HumanInLoop.Notifications.Internal;

/// <summary>An <see cref="INotificationStore"/> in memory, for tests and single-process development.</summary>
/// <remarks>
/// Thread-safe. Everything is forgotten when the process stops: pending approvals are then delivered again, and links
/// already used are refused only by the approval's own state (a call is decided once). Use the SQLite or PostgreSQL
/// notification store (or your own durable one) in production.
/// </remarks>
internal sealed class InMemoryNotificationStore : INotificationStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _delivered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _usedTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Owner, DateTimeOffset LeaseUntil)> _claims = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        return Task.FromResult(_delivered.ContainsKey(deliveryKey));
    }

    /// <inheritdoc />
    public Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        _delivered.TryAdd(deliveryKey, deliveredAt);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<bool> TryClaimDeliveryAsync(string deliveryKey, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        lock (_claims)
        {
            if (_claims.TryGetValue(deliveryKey, out (string Owner, DateTimeOffset LeaseUntil) held) && held.Owner != owner && held.LeaseUntil > now)
            {
                return Task.FromResult(false);
            }

            _claims[deliveryKey] = (owner, leaseUntil);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task ReleaseDeliveryClaimAsync(string deliveryKey, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deliveryKey);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        lock (_claims)
        {
            if (_claims.TryGetValue(deliveryKey, out (string Owner, DateTimeOffset LeaseUntil) held) && held.Owner == owner)
            {
                _claims.Remove(deliveryKey);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        return Task.FromResult(_usedTokens.TryAdd(tokenHash, expiresAt));
    }

    /// <inheritdoc />
    public Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenHash);
        return Task.FromResult(_usedTokens.ContainsKey(tokenHash));
    }
}
