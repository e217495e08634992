using HumanInLoop.StoreTesting;

namespace HumanInLoop.Sqlite.Tests;

public sealed class SqliteInDoubtBatchTests : InDoubtBatchStoreTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(new SqliteStateStore(_files.NewConnectionString()));

    public void Dispose() => _files.Dispose();
}
