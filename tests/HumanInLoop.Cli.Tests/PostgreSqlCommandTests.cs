using System.Text.Json;
using HumanInLoop.PostgreSql;
using Npgsql;

namespace HumanInLoop.Cli.Tests;

/// <summary>The command line over a real PostgreSQL database the application wrote (a fresh schema per test, dropped afterwards).</summary>
public sealed class PostgreSqlCommandTests : IAsyncLifetime
{
    private readonly string _schema = $"t_{Guid.NewGuid():N}";
    private string _connectionString = "";
    private readonly List<PostgreSqlStateStore> _stores = [];

    public Task InitializeAsync()
    {
        if (PostgresFactAttribute.ConnectionString is { } connection)
        {
            _connectionString = new NpgsqlConnectionStringBuilder(connection) { MaxPoolSize = 5, Timeout = 15 }.ToString();
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (PostgreSqlStateStore store in _stores)
        {
            await store.DisposeAsync();
            await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        }
    }

    [PostgresFact]
    public async Task PendingApproveReportVerify_OverTheConnectionStringFromTheEnvironment()
    {
        PostgresFactAttribute.Require();
        PostgreSqlStateStore store = new(new PostgreSqlStateStoreOptions { ConnectionString = _connectionString, Schema = _schema });
        _stores.Add(store);
        SeededBank bank = await SeededBank.SeedAsync(store);
        Dictionary<string, string> environment = new() { [PostgresFactAttribute.Variable] = _connectionString };
        Task<CliRun> Run(params string[] args) => Cli.RunAsync(environment, [.. args, "--schema", _schema]);

        CliRun pending = await Run("pending", "--json");
        Assert.True(pending.ExitCode == 0, pending.ToString());
        Assert.Equal(bank.Waiting, Assert.Single(pending.Json.GetProperty("approvals").EnumerateArray()).GetProperty("id").GetString());

        CliRun approve = await Run("approve", bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--json");
        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(bank.Waiting)).Status);
        Assert.Equal(ExitCodes.Refused, (await Run("reject", bank.Waiting, "c-tr", "--as", "alice", "--role", "tellers", "--reason", "late")).ExitCode);

        CliRun report = await Run("report", "--json");
        JsonElement total = report.Json.GetProperty("total");
        Assert.Equal((6, 2, 1, 1), (total.GetProperty("seen").GetInt64(), total.GetProperty("approved").GetInt64(), total.GetProperty("denied").GetInt64(), total.GetProperty("rejected").GetInt64()));

        Assert.Equal(ExitCodes.Ok, (await Run("verify")).ExitCode);
        await ExecuteAsync($"UPDATE \"{_schema}\".hil_approvals SET data = replace(data, '{SeededBank.RejectReason}', 'eve is fine') WHERE id = '{bank.Rejected}'");
        CliRun verify = await Run("verify", "--json");
        Assert.Equal(ExitCodes.Integrity, verify.ExitCode);
        Assert.Equal(bank.Rejected, Assert.Single(verify.Json.GetProperty("breaks").EnumerateArray()).GetProperty("approvalId").GetString());
    }

    [PostgresFact]
    public async Task Replay_AndGrants_OverAnExplicitConnectionString()
    {
        PostgresFactAttribute.Require();
        PostgreSqlStateStore store = new(new PostgreSqlStateStoreOptions { ConnectionString = _connectionString, Schema = _schema });
        _stores.Add(store);
        SeededBank bank = await SeededBank.SeedAsync(store);
        Task<CliRun> Run(params string[] args) => Cli.RunAsync([.. args, "--postgres", _connectionString, "--schema", _schema]);

        CliRun replay = await Run("replay", "--policies", typeof(LooseCandidates).Assembly.Location, "--json");
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal(bank.Rejected, Assert.Single(replay.Json.GetProperty("falseApprovals").EnumerateArray()).GetProperty("call").GetProperty("approvalId").GetString());

        Assert.Equal(bank.GrantId, Assert.Single((await Run("grants", "list", "--active", "--json")).Json.EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(ExitCodes.Ok, (await Run("grants", "revoke", bank.GrantId, "--as", "alice", "--reason", "done")).ExitCode);
        Assert.Empty((await Run("grants", "list", "--active", "--json")).Json.EnumerateArray());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using NpgsqlConnection connection = new(_connectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
