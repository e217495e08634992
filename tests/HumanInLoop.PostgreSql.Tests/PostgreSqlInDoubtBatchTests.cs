using HumanInLoop.StoreTesting;

namespace HumanInLoop.PostgreSql.Tests;

public sealed class PostgreSqlInDoubtBatchTests : InDoubtBatchStoreTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(Schemas.NewStore());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}
