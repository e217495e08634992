#if NET10_0_OR_GREATER
using HumanInLoop.StoreTesting;
using Npgsql;

namespace HumanInLoop.PostgreSql.Tests;

/// <summary>The crash-point matrix on the real PostgreSQL server; runs on net10.0 only (the child is a net10.0 process whatever the target, so the other targets would repeat the same kills).</summary>
public sealed class PostgreSqlCrashPointMatrixTests(Xunit.Abstractions.ITestOutputHelper output) : CrashPointMatrixTests(output), IAsyncLifetime
{
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<(WorkerTarget Target, IStateStore Store)> CreateStorageAsync()
    {
        string schema = Schemas.NewSchema();
        return Task.FromResult<(WorkerTarget, IStateStore)>((new WorkerTarget("postgres", PostgresEnvironment.Require(maxPoolSize: 5), schema), Schemas.NewStore(schema)));
    }

    protected override async Task<IReadOnlyList<(string ApprovalId, string IdempotencyKey)>> ReadLedgerAsync(WorkerTarget target)
    {
        await using NpgsqlConnection connection = new(Schemas.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new($"SELECT approval_id, idempotency_key FROM \"{target.Scope}\".test_executions ORDER BY seq", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        List<(string, string)> rows = [];
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
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
#endif
