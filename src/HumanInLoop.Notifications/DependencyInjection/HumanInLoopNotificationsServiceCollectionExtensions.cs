using System.Diagnostics.Metrics;
using HumanInLoop;
using HumanInLoop.Notifications;
using HumanInLoop.Notifications.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the background delivery of approval notifications.</summary>
public static class HumanInLoopNotificationsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the notifier that queues every approval change (picked up by <c>AddHumanInLoop</c>, so call both), and the
    /// hosted service that delivers the queue to the registered <see cref="IApprovalChannel"/>s with retries and a recovery
    /// sweep of pending approvals. Add channels, links, expiry and a durable store with the returned builder.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets what is delivered and how failures are retried.</param>
    /// <returns>A builder for channels, links, the Slack endpoint, expiry and stores.</returns>
    /// <remarks>
    /// Without a durable <see cref="INotificationStore"/> (<c>AddHumanInLoopSqliteNotificationStore</c> from HumanInLoop.Sqlite,
    /// <c>AddHumanInLoopPostgreSqlNotificationStore</c> from HumanInLoop.PostgreSql, or your own), delivery records and used
    /// links are kept in memory only. Without <see cref="HumanInLoopNotificationsBuilder.AddApprovers"/>,
    /// nobody can decide from a link or a button.
    /// </remarks>
    public static HumanInLoopNotificationsBuilder AddHumanInLoopNotifications(this IServiceCollection services, Action<ApprovalNotificationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ApprovalNotificationOptions> options = services.AddOptions<ApprovalNotificationOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(ApprovalNotificationDispatcher)))
        {
            services.AddSingleton<ApprovalNotificationDispatcher>();
            services.TryAddSingleton(provider => NotificationsTelemetry.Create(provider.GetService<IMeterFactory>()));
            services.AddSingleton<IApprovalNotifier>(provider => provider.GetRequiredService<ApprovalNotificationDispatcher>());
            services.AddSingleton<IHostedService>(provider => new ApprovalDeliveryService(
                provider.GetRequiredService<ApprovalNotificationDispatcher>(),
                provider.GetRequiredService<ApprovalService>(),
                provider.GetServices<IApprovalChannel>(),
                provider.GetRequiredService<INotificationStore>(),
                provider.GetRequiredService<IOptions<ApprovalNotificationOptions>>(),
                provider.GetRequiredService<NotificationsTelemetry>(),
                provider.GetService<TimeProvider>(),
                provider.GetService<ILogger<ApprovalDeliveryService>>()));
        }

        services.TryAddSingleton<INotificationStore, InMemoryNotificationStore>();
        services.TryAddSingleton<IApproverDirectory>(new ApproverDirectory());
        return new HumanInLoopNotificationsBuilder(services);
    }
}
