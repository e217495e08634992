using Npgsql;

namespace HumanInLoop.Notifications.Tests.Infrastructure;

/// <summary>A fact that needs the PostgreSQL server of <c>HUMANINLOOP_POSTGRES</c>: skipped when it is unset, unless <c>CI=true</c> (then it runs and fails).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!Configured && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "HUMANINLOOP_POSTGRES is not set; run `source .ci/services/postgres.sh start` to start a local PostgreSQL and set it.";
        }
    }

    public static bool Configured => Environment.GetEnvironmentVariable("HUMANINLOOP_POSTGRES") is { Length: > 0 };

    public static string ConnectionString() => Configured
        ? new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("HUMANINLOOP_POSTGRES")) { MaxPoolSize = 10, Timeout = 15 }.ToString()
        : throw new InvalidOperationException("HUMANINLOOP_POSTGRES is not set, and CI=true: the PostgreSQL tests must run in CI.");
}
