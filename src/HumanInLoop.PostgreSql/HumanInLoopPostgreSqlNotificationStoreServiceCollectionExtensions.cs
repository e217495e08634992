using HumanInLoop.Notifications;
using HumanInLoop.PostgreSql;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL notification store (delivery records and used approval links of HumanInLoop.Notifications).</summary>
public static class HumanInLoopPostgreSqlNotificationStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PostgreSqlNotificationStore"/> over the database named by <paramref name="connectionString"/> as the
    /// <see cref="INotificationStore"/>, replacing any registered before (such as the in-memory default of <c>AddHumanInLoopNotifications</c>).
    /// Call it before or after <c>services.AddHumanInLoopNotifications(...)</c>. The container disposes the store.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">An Npgsql connection string; it may name the database of <c>AddHumanInLoopPostgreSql</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The connection string is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopPostgreSqlNotificationStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return services.AddHumanInLoopPostgreSqlNotificationStore(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Registers a singleton <see cref="PostgreSqlNotificationStore"/> configured by <paramref name="configure"/> as the
    /// <see cref="INotificationStore"/>, replacing any registered before. The options are applied and validated here, once; the
    /// store connects on first use.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string (or data source) and other options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopPostgreSqlNotificationStore(this IServiceCollection services, Action<PostgreSqlNotificationStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        PostgreSqlNotificationStoreOptions options = new();
        configure(options);
        PostgreSqlOptionsValidation.Validate(options.ConnectionString, options.DataSource, options.Schema, options.TablePrefix, nameof(PostgreSqlNotificationStoreOptions));
        services.RemoveAll<PostgreSqlNotificationStore>();
        services.RemoveAll<INotificationStore>();
        services.AddSingleton(_ => new PostgreSqlNotificationStore(options));
        services.AddSingleton<INotificationStore>(provider => provider.GetRequiredService<PostgreSqlNotificationStore>());
        return services;
    }
}
