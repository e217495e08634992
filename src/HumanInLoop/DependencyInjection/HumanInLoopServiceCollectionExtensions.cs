using HumanInLoop;
using HumanInLoop.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers HumanInLoop in a service collection.</summary>
public static class HumanInLoopServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="ApprovalService"/> built from the <see cref="ApprovalOptions"/> (options in the .NET sense:
    /// <c>IOptions&lt;ApprovalOptions&gt;</c>, to which <paramref name="configure"/> is added), every <see cref="IApprovalPolicy"/> and
    /// <see cref="IApprovalNotifier"/> registered in the container, the registered <see cref="IStateStore"/> (an
    /// <see cref="InMemoryStateStore"/> if none is, with a warning at start), and the registered <see cref="TimeProvider"/> if any.
    /// Then add the gate with <c>builder.UseFunctionInvocation().UseApprovalGate()</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Calls compose: a second <c>AddHumanInLoop(o =&gt; ...)</c> (or <c>services.Configure&lt;ApprovalOptions&gt;(...)</c>) adds to the
    /// options of the first, in the order of the calls; the service is registered once. The options are validated when the host starts
    /// (<c>ValidateOnStart</c>): a bad setting stops the start with an <see cref="OptionsValidationException"/> that names it.
    /// </para>
    /// <para>
    /// Also registers hosted services: at start, one resolves the store, so that a host left with the in-memory default logs a
    /// warning then (approvals would be lost when the process stops; register a durable store, or <see cref="InMemoryStateStore"/>
    /// yourself to say you mean it); when the host stops (after the web server has finished its requests), another waits for the call
    /// records still queued (<see cref="ApprovalOptions.RecordCalls"/>, <see cref="ApprovalService.FlushCallRecordsAsync"/>), within
    /// the host's shutdown timeout. Without a host (<c>IHost</c>), call <see cref="ApprovalService.FlushCallRecordsAsync"/> yourself
    /// before the process ends.
    /// </para>
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the policies and options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services, Action<ApprovalOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers HumanInLoop as <see cref="AddHumanInLoop(IServiceCollection, Action{ApprovalOptions})"/> does, with the options as they
    /// are: the policies registered in the container (<see cref="IApprovalPolicy"/>), or those of another call.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services);
        return services;
    }

    /// <summary>
    /// Registers HumanInLoop as <see cref="AddHumanInLoop(IServiceCollection, Action{ApprovalOptions})"/> does, with the settings that
    /// are data bound from <paramref name="configuration"/> (for example <c>builder.Configuration.GetSection("HumanInLoop")</c>). Add the
    /// policies in code with the overload that also takes a configure, or with another call (calls compose).
    /// </summary>
    /// <remarks>
    /// The keys are <c>DefaultExpiration</c>, <c>ExecutionLease</c> (time spans such as <c>"2.00:00:00"</c>), <c>RejectedRepeatLimit</c>,
    /// <c>PreventSelfApproval</c>, <c>RequireProtectedTools</c>, <c>RecordCalls</c>, <c>Granters</c> and <c>IdempotentTools</c> (arrays
    /// of names, added to those set in code) and <c>IntegrityKey</c> (base64). A key that is none of these, or a value that does not
    /// convert, stops the host's start with an <see cref="InvalidOperationException"/> that names it; a value out of range, with an
    /// <see cref="OptionsValidationException"/>. The section is read once, when the service is built.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section with the settings.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services).Configure(options => ApprovalSettings.Bind(configuration, options));
        return services;
    }

    /// <summary>
    /// Registers HumanInLoop with the settings that are data bound from <paramref name="configuration"/>, then
    /// <paramref name="configure"/> applied for what stays in code (policies, notifiers): the usual registration of an application,
    /// <c>services.AddHumanInLoop(builder.Configuration.GetSection("HumanInLoop"), o =&gt; o.Policies.Add(...))</c>.
    /// </summary>
    /// <remarks>The keys, and how a bad one is reported: <see cref="AddHumanInLoop(IServiceCollection, IConfiguration)"/>.</remarks>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section with the settings.</param>
    /// <param name="configure">Sets the policies and anything else in code, after the configuration is bound.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddHumanInLoop(this IServiceCollection services, IConfiguration configuration, Action<ApprovalOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(options => ApprovalSettings.Bind(configuration, options)).Configure(configure);
        return services;
    }

    private static OptionsBuilder<ApprovalOptions> AddCore(IServiceCollection services)
    {
        // The container's clock and meter factory first, so that a configure of the user's (any call's) overrides them.
        services.TryAddEnumerable(ServiceDescriptor.Transient<IConfigureOptions<ApprovalOptions>, ApprovalOptionsFromContainer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>());
        OptionsBuilder<ApprovalOptions> options = services.AddOptions<ApprovalOptions>().ValidateOnStart();
        services.TryAddSingleton<IStateStore>(DefaultInMemoryStore.Create);
        services.TryAddSingleton<ApprovalServiceTracker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreCheckOnStart>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CallRecordFlushOnStop>());
        services.TryAddSingleton(provider =>
        {
            ApprovalService approvals = new(
                provider.GetRequiredService<IStateStore>(),
                provider.GetRequiredService<IOptions<ApprovalOptions>>().Value,
                provider.GetService<IEnumerable<IApprovalPolicy>>() ?? [],
                provider.GetService<IEnumerable<IApprovalNotifier>>() ?? [],
                provider.GetService<ILoggerFactory>());
            provider.GetRequiredService<ApprovalServiceTracker>().Service = approvals;
            return approvals;
        });
        return options;
    }
}
