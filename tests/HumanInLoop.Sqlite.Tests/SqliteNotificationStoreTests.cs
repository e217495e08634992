using HumanInLoop.Notifications;
using HumanInLoop.StoreTesting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Sqlite.Tests;

public sealed class SqliteNotificationStoreTests : DurableNotificationStoreTests, IDisposable
{
    private readonly SqliteTestFiles _files = new();
    private readonly Dictionary<INotificationStore, string> _fileOf = [];

    protected override Task<INotificationStore> CreateStoreAsync() => Task.FromResult<INotificationStore>(Open(_files.NewConnectionString("notifications")));

    protected override Task<INotificationStore> OpenAgainAsync(INotificationStore store) => Task.FromResult<INotificationStore>(Open(_fileOf[store]));

    protected override Task<INotificationStore> RestartAsync(INotificationStore store)
    {
        // A restarted process has no pooled connection left over.
        SqliteConnection.ClearAllPools();
        return Task.FromResult<INotificationStore>(Open(_fileOf[store]));
    }

    protected override Task<int> PurgeAsync(INotificationStore store, DateTimeOffset before) => ((SqliteNotificationStore)store).PurgeAsync(before);

    [Fact]
    public async Task SameFileAsTheStateStore_BothWork()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore approvals = new(connection);
        await approvals.InitializeAsync();
        SqliteNotificationStore store = Open(connection);
        await store.MarkDeliveredAsync("k", Now);
        Assert.True(await Open(connection).IsDeliveredAsync("k"));
        Assert.Null(await approvals.GetAsync("k"));
    }

    [Fact]
    public void InMemoryReadOnlyOrBadPrefix_RefusedWithTheOptionsNamed()
    {
        Assert.Contains("SqliteNotificationStoreOptions.ConnectionString", Assert.Throws<ArgumentException>(() => new SqliteNotificationStore("Data Source=:memory:")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SqliteNotificationStore("Data Source=x.db;Mode=ReadOnly"));
        Assert.Throws<ArgumentException>(() => new SqliteNotificationStore(""));
        Assert.Contains("TablePrefix", Assert.Throws<ArgumentException>(() => new SqliteNotificationStore(new SqliteNotificationStoreOptions { ConnectionString = "Data Source=x.db", TablePrefix = "bad-prefix;" })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_ReplacesAnEarlierStore_AndChecksOptionsAtOnce()
    {
        string connection = _files.NewConnectionString();
        ServiceCollection services = new();
        services.AddSingleton<INotificationStore>(Open(_files.NewConnectionString("other")));
        services.AddHumanInLoopSqliteNotificationStore(o => { o.ConnectionString = connection; o.TablePrefix = "n_"; });
        await using ServiceProvider provider = services.BuildServiceProvider();
        INotificationStore store = provider.GetRequiredService<INotificationStore>();
        Assert.Same(store, provider.GetRequiredService<SqliteNotificationStore>());
        Assert.True(await store.TryConsumeLinkTokenAsync("h", Now.AddHours(1), Now));
        Assert.True(await Open(connection, "n_").IsLinkTokenUsedAsync("h"));
        Assert.False(await Open(connection).IsLinkTokenUsedAsync("h"));

        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHumanInLoopSqliteNotificationStore("Data Source=:memory:"));
    }

    public void Dispose() => _files.Dispose();

    private SqliteNotificationStore Open(string connectionString, string prefix = "hil_")
    {
        SqliteNotificationStore store = new(new SqliteNotificationStoreOptions { ConnectionString = connectionString, TablePrefix = prefix });
        lock (_fileOf)
        {
            _fileOf[store] = connectionString;
        }

        return store;
    }
}
