using HumanInLoop;
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
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the policies and options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services, Action<ApprovalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IStateStore, InMemoryStateStore>();
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
            return new ApprovalService(provider.GetRequiredService<IStateStore>(), options, registered, provider.GetService<ILoggerFactory>());
        });
        return services;
    }
}
