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

public sealed class SqliteCallRecordStoreContractTests : CallRecordStoreContractTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();
    private readonly Dictionary<ICallRecordStore, string> _connections = [];

    protected override Task<ICallRecordStore> CreateStoreAsync()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        _connections[store] = connection;
        return Task.FromResult<ICallRecordStore>(store);
    }

    protected override Task<ICallRecordStore?> OpenSameStorageAsync(ICallRecordStore first) =>
        Task.FromResult<ICallRecordStore?>(new SqliteStateStore(_connections[first] + ";Pooling=True"));

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteGrantStoreContractTests : GrantStoreContractTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();
    private readonly Dictionary<IGrantStore, string> _connections = [];

    protected override Task<IGrantStore> CreateStoreAsync()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        _connections[store] = connection;
        return Task.FromResult<IGrantStore>(store);
    }

    protected override Task<IGrantStore?> OpenSameStorageAsync(IGrantStore first) =>
        Task.FromResult<IGrantStore?>(new SqliteStateStore(_connections[first] + ";Pooling=True"));

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteHistoryContractTests : HistoryContractTests, IDisposable
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

    protected override Task<IStateStore?> OpenSameStorageAsync(IStateStore first) =>
        Task.FromResult<IStateStore?>(new SqliteStateStore(_connections[first] + ";Pooling=True"));

    public void Dispose() => _files.Dispose();
}

public sealed class SqliteStoreCostContractTests : StoreCostContractTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();
    private readonly Dictionary<IStateStore, (string Wal, Microsoft.Data.Sqlite.SqliteConnection Keeper)> _logs = [];

    protected override async Task<IStateStore> CreateStoreAsync()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        // SQLite deletes the log when the file's last connection closes, and other tests of this assembly clear the connection
        // pools (SqliteConnection.ClearAllPools) at any moment: a connection of our own, outside the pool, keeps the log in place.
        Microsoft.Data.Sqlite.SqliteConnection keeper = new(connection + ";Pooling=False");
        await keeper.OpenAsync();
        _logs[store] = (new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection).DataSource + "-wal", keeper);
        return store;
    }

    // Before each write the log is checkpointed and truncated to nothing; after it, the log's size is what the write appended
    // (every commit appends the pages it changed to the write-ahead log, and one write stays far below the automatic
    // checkpoint's 1,000 pages). The counting store asks once before and once after each write.
    protected override Func<long>? DiskBytes(IStateStore store)
    {
        (string wal, Microsoft.Data.Sqlite.SqliteConnection keeper) = _logs[store];
        bool before = true;
        return () =>
        {
            if (!before)
            {
                before = true;
                return File.Exists(wal) ? new FileInfo(wal).Length : 0;
            }

            before = false;
            using Microsoft.Data.Sqlite.SqliteCommand truncate = keeper.CreateCommand();
            truncate.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using Microsoft.Data.Sqlite.SqliteDataReader result = truncate.ExecuteReader();
            Assert.True(result.Read() && result.GetInt64(0) == 0, "the log could not be truncated before the write");
            Assert.Equal(0, File.Exists(wal) ? new FileInfo(wal).Length : 0);
            return 0;
        };
    }

    public void Dispose()
    {
        foreach ((_, Microsoft.Data.Sqlite.SqliteConnection keeper) in _logs.Values)
        {
            keeper.Dispose();
        }

        _files.Dispose();
    }
}
