using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HumanInLoop.AspNetCore.Internal;

/// <summary>
/// Hears every saved change of an approval in this process (an <see cref="IApprovalNotifier"/>) and hands it to each open console's
/// event stream. Returns at once: a slow page loses old changes, never blocks a decision. Thread-safe.
/// </summary>
internal sealed class ConsoleFeed : IApprovalNotifier
{
    private const int QueuedPerSubscriber = 64;
    private readonly ConcurrentDictionary<Channel<ApprovalNotification>, byte> _subscribers = new();

    /// <summary>The one feed of the container, added to <see cref="ApprovalOptions.Notifiers"/> the first time a console is mapped.</summary>
    public static ConsoleFeed Attach(IServiceProvider services)
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

            ConsoleFeed feed = new();
            options.Notifiers.Add(feed);
            return feed;
        }
    }

    public ValueTask NotifyAsync(ApprovalNotification notification, CancellationToken cancellationToken)
    {
        foreach (Channel<ApprovalNotification> subscriber in _subscribers.Keys)
        {
            subscriber.Writer.TryWrite(notification);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Starts receiving changes; dispose the subscription to stop.</summary>
    public Subscription Subscribe()
    {
        Channel<ApprovalNotification> channel = Channel.CreateBounded<ApprovalNotification>(
            new BoundedChannelOptions(QueuedPerSubscriber) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _subscribers[channel] = 0;
        return new Subscription(this, channel);
    }

    /// <summary>One open event stream's queue of changes.</summary>
    internal sealed class Subscription(ConsoleFeed feed, Channel<ApprovalNotification> channel) : IDisposable
    {
        public ChannelReader<ApprovalNotification> Changes => channel.Reader;

        public void Dispose()
        {
            feed._subscribers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        }
    }
}
