using HumanInLoop.StoreTesting;

namespace HumanInLoop.PostgreSql.Tests;

public sealed class PostgreSqlDurableStoreTests : DurableStoreTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(Schemas.NewStore());

    protected override Task<int> PurgeAsync(IStateStore store, DateTimeOffset olderThan, bool keepAuditTrail) =>
        ((PostgreSqlStateStore)store).PurgeAsync(olderThan, keepAuditTrail);

    protected override Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(IStateStore store, string approvalId) =>
        ((PostgreSqlStateStore)store).ReadArchivedAuditTrailAsync(approvalId);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}
