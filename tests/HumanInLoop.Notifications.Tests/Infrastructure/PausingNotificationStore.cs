using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>
/// The host's notification store, able to hold one request right after it has checked whether a link was used: the way to
/// put another request in between, every time, instead of hoping two concurrent ones interleave so.
/// </summary>
internal sealed class PausingNotificationStore(INotificationStore inner) : INotificationStore
{
    private Hold? _next;

    /// <summary>Wraps the store the host registered (call from <see cref="WorkflowEnvironment.StartHostAsync"/>).</summary>
    public static PausingNotificationStore Wrap(IServiceCollection services)
    {
        ServiceDescriptor registered = services.Last(d => d.ServiceType == typeof(INotificationStore));
        PausingNotificationStore store = new((INotificationStore)(registered.ImplementationInstance
            ?? throw new InvalidOperationException("The host registered its notification store by type; wrap it another way.")));
        services.Remove(registered);
        services.AddSingleton<INotificationStore>(store);
        return store;
    }

    /// <summary>The next <see cref="IsLinkTokenUsedAsync"/> answers only once <see cref="Hold.Release"/> is completed.</summary>
    public Hold HoldNextUsedCheck()
    {
        Hold hold = new();
        Volatile.Write(ref _next, hold);
        return hold;
    }

    public async Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        bool used = await inner.IsLinkTokenUsedAsync(tokenHash, cancellationToken);
        if (Interlocked.Exchange(ref _next, null) is { } hold)
        {
            hold.Checked.TrySetResult(used);
            await hold.Release.Task;
        }

        return used;
    }

    public Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default) =>
        inner.TryConsumeLinkTokenAsync(tokenHash, expiresAt, usedAt, cancellationToken);

    public Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default) => inner.IsDeliveredAsync(deliveryKey, cancellationToken);

    public Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default) =>
        inner.MarkDeliveredAsync(deliveryKey, deliveredAt, cancellationToken);

    public Task<bool> TryClaimDeliveryAsync(string deliveryKey, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default) =>
        inner.TryClaimDeliveryAsync(deliveryKey, owner, now, leaseUntil, cancellationToken);

    public Task ReleaseDeliveryClaimAsync(string deliveryKey, string owner, CancellationToken cancellationToken = default) =>
        inner.ReleaseDeliveryClaimAsync(deliveryKey, owner, cancellationToken);

    public sealed class Hold
    {
        /// <summary>Completes, with what the store answered, when the held request has checked the link.</summary>
        public TaskCompletionSource<bool> Checked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
