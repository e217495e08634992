using HumanInLoop;
using HumanInLoop.Internal;
using HumanInLoop.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite approval store in a service collection.</summary>
public static class HumanInLoopSqliteServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SqliteStateStore"/> over the database named by <paramref name="connectionString"/> as the
    /// <see cref="IStateStore"/> and <see cref="IPurgeableStateStore"/>, replacing any registered before (such as the in-memory default of <c>AddHumanInLoop</c>).
    /// Call it before or after <c>services.AddHumanInLoop(...)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, for example <c>Data Source=approvals.db</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The connection string is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopSqlite(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return services.AddHumanInLoopSqlite(options => options.ConnectionString = connectionString);
    }

    /// <summary>
    /// Registers a singleton <see cref="SqliteStateStore"/> configured by <paramref name="configure"/> as the <see cref="IStateStore"/>
    /// and <see cref="IPurgeableStateStore"/>, replacing any registered before. The options are applied and validated here, once.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the connection string and other options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid (checked here, not at first use).</exception>
    public static IServiceCollection AddHumanInLoopSqlite(this IServiceCollection services, Action<SqliteStateStoreOptions> configure) =>
        StateStoreRegistration.Replace<SqliteStateStoreOptions, SqliteStateStore>(services, configure, options =>
        {
            SqliteStateStore store = new(options);
            return _ => store;
        });
}
