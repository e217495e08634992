using HumanInLoop;
using HumanInLoop.Internal;
using HumanInLoop.PostgreSql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL approval store in a service collection.</summary>
public static class HumanInLoopPostgreSqlServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PostgreSqlStateStore"/> over the database named by <paramref name="connectionString"/> as the
    /// <see cref="IStateStore"/> and <see cref="IPurgeableStateStore"/>, replacing any registered before (such as the in-memory default of <c>AddHumanInLoop</c>).
    /// Call it before or after <c>services.AddHumanInLoop(...)</c>. The container disposes the store.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The connection string is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopPostgreSql(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return services.AddHumanInLoopPostgreSql(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Registers a singleton <see cref="PostgreSqlStateStore"/> configured by <paramref name="configure"/> as the <see cref="IStateStore"/>
    /// and <see cref="IPurgeableStateStore"/>, replacing any registered before. The options are applied and validated here, once; the store connects on first use.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string (or data source) and other options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopPostgreSql(this IServiceCollection services, Action<PostgreSqlStateStoreOptions> configure) =>
        StateStoreRegistration.Replace<PostgreSqlStateStoreOptions, PostgreSqlStateStore>(services, configure, options =>
        {
            PostgreSqlOptionsValidation.Validate(options);
            return _ => new PostgreSqlStateStore(options);
        });
}
