using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HumanInLoop.Internal;

/// <summary>The registration that <c>AddHumanInLoopSqlite</c> and <c>AddHumanInLoopPostgreSql</c> share. Compiled into each store package.</summary>
internal static class StateStoreRegistration
{
    /// <summary>
    /// Applies <paramref name="configure"/> to new options, lets <paramref name="validate"/> check them now (not at first use), and
    /// registers the store it returns as a singleton, as itself, as <see cref="IStateStore"/> and as <see cref="IPurgeableStateStore"/>,
    /// replacing any store registered before (such as the in-memory default of <c>AddHumanInLoop</c>).
    /// </summary>
    /// <typeparam name="TOptions">The store's options.</typeparam>
    /// <typeparam name="TStore">The store.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <param name="validate">Checks the options and returns how the container makes the store.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection Replace<TOptions, TStore>(
        IServiceCollection services, Action<TOptions> configure, Func<TOptions, Func<IServiceProvider, TStore>> validate)
        where TOptions : new()
        where TStore : class, IPurgeableStateStore
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        TOptions options = new();
        configure(options);
        Func<IServiceProvider, TStore> create = validate(options);
        services.RemoveAll<TStore>();
        services.RemoveAll<IStateStore>();
        services.RemoveAll<IPurgeableStateStore>();
        services.AddSingleton(create);
        services.AddSingleton<IStateStore>(provider => provider.GetRequiredService<TStore>());
        services.AddSingleton<IPurgeableStateStore>(provider => provider.GetRequiredService<TStore>());
        return services;
    }
}
