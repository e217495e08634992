using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace HumanInLoop.Notifications.Internal;

/// <summary>
/// The <see cref="IApprovalNotifier"/> that queues changes for background delivery. <see cref="NotifyAsync"/> only writes
/// to an unbounded in-memory queue, so it never blocks, fails or slows the approval path.
/// </summary>
/// <remarks>
/// Registered by <c>AddHumanInLoopNotifications</c>; the delivery service (a hosted service) reads the queue. A queued
/// message lost with the process is found again by the delivery service's recovery sweep, which re-reads pending approvals
/// from the store. Thread-safe.
/// </remarks>
internal sealed class ApprovalNotificationDispatcher : IApprovalNotifier
{
    private readonly Channel<DeliveryWork> _queue = Channel.CreateUnbounded<DeliveryWork>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<ApprovalNotificationKind> _kinds;

    /// <summary>Initializes a new instance of the <see cref="ApprovalNotificationDispatcher"/> class.</summary>
    /// <param name="options">Which kinds of change to deliver.</param>
    public ApprovalNotificationDispatcher(IOptions<ApprovalNotificationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _kinds = [.. options.Value.Kinds];
    }

    /// <inheritdoc />
    public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (_kinds.Contains(notification.Kind))
        {
            _queue.Writer.TryWrite(new DeliveryWork(notification.Kind, notification.Approval, notification.CallId, false));
        }

        return ValueTask.CompletedTask;
    }

    internal ChannelReader<DeliveryWork> Reader => _queue.Reader;

    internal void Enqueue(DeliveryWork work) => _queue.Writer.TryWrite(work);

    /// <summary>Marks a per-channel message as queued; false when it already is (queued, being sent, or waiting to retry).</summary>
    internal bool TryBegin(string key) => _inFlight.TryAdd(key, 0);

    internal void End(string key) => _inFlight.TryRemove(key, out _);
}
