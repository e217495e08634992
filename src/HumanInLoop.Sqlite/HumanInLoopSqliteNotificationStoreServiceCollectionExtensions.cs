using HumanInLoop.Notifications;
using HumanInLoop.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite notification store (delivery records and used approval links of HumanInLoop.Notifications).</summary>
public static class HumanInLoopSqliteNotificationStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SqliteNotificationStore"/> over the file named by <paramref name="connectionString"/> as the
    /// <see cref="INotificationStore"/>, replacing any registered before (such as the in-memory default of <c>AddHumanInLoopNotifications</c>).
    /// Call it before or after <c>services.AddHumanInLoopNotifications(...)</c>; the file may be the one of <c>AddHumanInLoopSqlite</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, for example <c>Data Source=approvals.db</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The connection string is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopSqliteNotificationStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return services.AddHumanInLoopSqliteNotificationStore(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Registers a singleton <see cref="SqliteNotificationStore"/> configured by <paramref name="configure"/> as the
    /// <see cref="INotificationStore"/>, replacing any registered before. The options are applied and validated here, once.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string and other options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopSqliteNotificationStore(this IServiceCollection services, Action<SqliteNotificationStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        SqliteNotificationStoreOptions options = new();
        configure(options);
        SqliteNotificationStore store = new(options);
        services.RemoveAll<SqliteNotificationStore>();
        services.RemoveAll<INotificationStore>();
        services.AddSingleton(store);
        services.AddSingleton<INotificationStore>(store);
        return services;
    }
}
