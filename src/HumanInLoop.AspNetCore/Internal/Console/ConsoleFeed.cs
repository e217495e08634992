using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// Hears every saved change of an approval in this process (an <see cref="IApprovalNotifier"/>), and those of other app servers
/// sharing the store (<see cref="ConsoleChangePoller"/>, while a page that wants them is open), and hands each to every open
/// console's event stream. Returns at once: a slow page loses old changes, never blocks a decision. Thread-safe.
/// </summary>
internal sealed class ConsoleFeed : IApprovalNotifier
{
    private const int QueuedPerSubscriber = 64;
    private readonly ConcurrentDictionary<Channel<ApprovalNotification>, byte> _subscribers = new();
    private readonly ConsoleChangePoller _poller;

    private ConsoleFeed(IServiceProvider services) => _poller = new ConsoleChangePoller(services, Publish);

    /// <summary>
    /// The one feed of the container, added to <see cref="ApprovalOptions.Notifiers"/> the first time a console is mapped; each
    /// console mapped asks it to read the store every <paramref name="changePollInterval"/> (none: <see langword="null"/> or zero).
    /// </summary>
    public static ConsoleFeed Attach(IServiceProvider services, TimeSpan? changePollInterval)
    {
        ConsoleFeed feed = Find(services);
        feed._poller.Enable(changePollInterval);
        return feed;
    }

    private static ConsoleFeed Find(IServiceProvider services)
    {
        // Asks whether the service is registered without building it: built now, it would copy the notifiers before the feed is added.
        ApprovalOptions options = services.GetService<IServiceProviderIsService>()?.IsService(typeof(ApprovalService)) == true &&
            services.GetService<IOptions<ApprovalOptions>>()?.Value is { } value
            ? value
            : throw new InvalidOperationException("The approval console needs HumanInLoop's services: call services.AddHumanInLoop(...) before mapping it.");
        lock (options.Notifiers)
        {
            if (options.Notifiers.OfType<ConsoleFeed>().FirstOrDefault() is { } existing)
            {
                return existing;
            }

            ConsoleFeed feed = new(services);
            options.Notifiers.Add(feed);
            return feed;
        }
    }

    public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
    {
        _poller.Saw(notification.Approval);
        Publish(notification);
        return ValueTask.CompletedTask;
    }

    private void Publish(ApprovalNotification notification)
    {
        foreach (Channel<ApprovalNotification> subscriber in _subscribers.Keys)
        {
            subscriber.Writer.TryWrite(notification);
        }
    }

    /// <summary>
    /// Starts receiving changes; dispose the subscription to stop. With <paramref name="fromOtherServers"/> (the console reads the
    /// store), the store is read for other servers' changes while the subscription is open.
    /// </summary>
    public Subscription Subscribe(bool fromOtherServers)
    {
        Channel<ApprovalNotification> channel = Channel.CreateBounded<ApprovalNotification>(
            new BoundedChannelOptions(QueuedPerSubscriber) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _subscribers[channel] = 0;
        return new Subscription(this, channel, fromOtherServers && _poller.Join());
    }

    /// <summary>One open event stream's queue of changes.</summary>
    internal sealed class Subscription(ConsoleFeed feed, Channel<ApprovalNotification> channel, bool polling) : IDisposable
    {
        private int _disposed;

        public ChannelReader<ApprovalNotification> Changes => channel.Reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            feed._subscribers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
            if (polling)
            {
                feed._poller.Leave();
            }
        }
    }
}
