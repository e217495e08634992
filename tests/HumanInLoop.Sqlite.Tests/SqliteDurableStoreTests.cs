using HumanInLoop.StoreTesting;

namespace HumanInLoop.Sqlite.Tests;

public sealed class SqliteDurableStoreTests : DurableStoreTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new SqliteStateStore(_files.NewConnectionString()));

    protected override Task<int> PurgeAsync(IStateStore store, DateTimeOffset olderThan, bool keepAuditTrail) =>
        ((SqliteStateStore)store).PurgeAsync(olderThan, keepAuditTrail);

    protected override Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(IStateStore store, string approvalId) =>
        ((SqliteStateStore)store).ReadArchivedAuditTrailAsync(approvalId);

    public void Dispose() => _files.Dispose();
}
