using HumanInLoop.Testing;

namespace HumanInLoop.Sqlite.Tests;

public sealed class SqliteStateStoreContractTests : StateStoreContractTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();
    private readonly Dictionary<IStateStore, string> _connections = [];

    protected override Task<IStateStore> CreateStoreAsync()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        _connections[store] = connection;
        return Task.FromResult<IStateStore>(store);
    }

    // Another store object with its own connection pool (a different connection string text) over the same file.
    protected override Task<IStateStore?> OpenSameStorageAsync(IStateStore first) =>
        Task.FromResult<IStateStore?>(new SqliteStateStore(_connections[first] + ";Pooling=True"));

    public void Dispose() => _files.Dispose();
}
