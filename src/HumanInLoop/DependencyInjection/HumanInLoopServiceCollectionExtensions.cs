using HumanInLoop;
using HumanInLoop.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers HumanInLoop in a service collection.</summary>
public static class HumanInLoopServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="ApprovalService"/> built from <paramref name="configure"/>, every
    /// <see cref="IApprovalPolicy"/> and <see cref="IApprovalNotifier"/> registered in the container, the registered <see cref="IStateStore"/> (an
    /// <see cref="InMemoryStateStore"/> if none is), and the registered <see cref="TimeProvider"/> if any.
    /// Then add the gate with <c>builder.UseFunctionInvocation().UseApprovalGate()</c>.
    /// </summary>
    /// <remarks>
    /// Also registers a hosted service: when the host stops (after the web server has finished its requests), it waits for the
    /// call records still queued (<see cref="ApprovalOptions.RecordCalls"/>, <see cref="ApprovalService.FlushCallRecordsAsync"/>),
    /// within the host's shutdown timeout. Without a host (<c>IHost</c>), call <see cref="ApprovalService.FlushCallRecordsAsync"/> yourself before the process ends.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the policies and options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services, Action<ApprovalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IStateStore, InMemoryStateStore>();
        services.TryAddSingleton<ApprovalServiceTracker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CallRecordFlushOnStop>());
        services.TryAddSingleton(provider =>
        {
            ApprovalOptions options = new();
            if (provider.GetService<TimeProvider>() is { } time)
            {
                options.TimeProvider = time;
            }

            options.MeterFactory = provider.GetService<System.Diagnostics.Metrics.IMeterFactory>();
            configure?.Invoke(options);
            foreach (IApprovalNotifier notifier in provider.GetService<IEnumerable<IApprovalNotifier>>() ?? [])
            {
                options.Notifiers.Add(notifier);
            }

            IEnumerable<IApprovalPolicy> registered = provider.GetService<IEnumerable<IApprovalPolicy>>() ?? [];
            ApprovalService approvals = new(provider.GetRequiredService<IStateStore>(), options, registered, provider.GetService<ILoggerFactory>());
            provider.GetRequiredService<ApprovalServiceTracker>().Service = approvals;
            return approvals;
        });
        return services;
    }
}
