namespace HumanInLoop.Cli.Tests;

/// <summary>
/// A test against the PostgreSQL server in <c>HUMANINLOOP_POSTGRES</c> (exported by <c>.ci/services/postgres.sh start</c>). Unset, it
/// is skipped locally, and runs (and fails) under <c>CI=true</c>, because CI must test the real server.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string Variable = "HUMANINLOOP_POSTGRES";

    public PostgresFactAttribute()
    {
        if (ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{Variable} is not set; run `source .ci/services/postgres.sh start` to start a local PostgreSQL and set it.";
        }
    }

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static string Require() =>
        ConnectionString ?? throw new InvalidOperationException($"{Variable} is not set, and CI=true: the PostgreSQL tests must run in CI.");
}
