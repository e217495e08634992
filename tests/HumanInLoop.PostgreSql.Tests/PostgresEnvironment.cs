using Npgsql;

namespace HumanInLoop.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests use: <c>HUMANINLOOP_POSTGRES</c> (exported by <c>.ci/services/postgres.sh start</c>).
/// Unset, the tests are skipped locally; with <c>CI=true</c> they run and fail, because CI must test the real server.
/// </summary>
public static class PostgresEnvironment
{
    public const string Variable = "HUMANINLOOP_POSTGRES";

    public static string? ConnectionString { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static bool IsCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets why the tests are skipped, or null when they run.</summary>
    public static string? SkipReason { get; } = ConnectionString is null && !IsCi
        ? $"{Variable} is not set; run `source .ci/services/postgres.sh start` to start a local PostgreSQL and set it."
        : null;

    /// <summary>The connection string with a small pool, so that parallel tests and worker processes stay under max_connections.</summary>
    public static string Require(int maxPoolSize = 10)
    {
        if (ConnectionString is null)
        {
            Assert.Fail($"{Variable} is not set, and CI=true: the PostgreSQL tests must run in CI (.ci/services/postgres.sh start exports it).");
        }

        // Timeout: how long opening a connection (waiting for a free one in the pool included) may take. 60 s, not 15: the CI run starts
        // three frameworks' test assemblies together on 2 cores, and four worker processes racing on one approval once waited longer.
        return new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = maxPoolSize, Timeout = 60 }.ToString();
    }
}
