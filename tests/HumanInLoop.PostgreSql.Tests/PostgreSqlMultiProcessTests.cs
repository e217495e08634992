using HumanInLoop.StoreTesting;
using Npgsql;

namespace HumanInLoop.PostgreSql.Tests;

public sealed class PostgreSqlMultiProcessTests(Xunit.Abstractions.ITestOutputHelper output) : MultiProcessStoreTests(output), IAsyncLifetime
{
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<(WorkerTarget Target, IStateStore Store)> CreateStorageAsync()
    {
        string schema = Schemas.NewSchema();

        // Each worker process gets a pool of at most 20 connections: four racing workers stay well under max_connections.
        string workerConnection = PostgresEnvironment.Require(maxPoolSize: 20);
        return Task.FromResult<(WorkerTarget, IStateStore)>((new WorkerTarget("postgres", workerConnection, schema), Schemas.NewStore(schema)));
    }

    protected override async Task<int> CountExecutionsAsync(WorkerTarget target, string approvalId)
    {
        await using NpgsqlConnection connection = new(Schemas.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new($"SELECT COUNT(*) FROM \"{target.Scope}\".test_executions WHERE approval_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = approvalId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}
