using HumanInLoop.Notifications;
using HumanInLoop.StoreTesting;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.PostgreSql.Tests;

public sealed class PostgreSqlNotificationStoreTests : DurableNotificationStoreTests, IAsyncLifetime
{
    private readonly Dictionary<INotificationStore, string> _schemaOf = [];
    private readonly List<PostgreSqlNotificationStore> _stores = [];
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<INotificationStore> CreateStoreAsync() => Task.FromResult<INotificationStore>(Open(Schemas.NewSchema()));

    // A second store object with its own data source (its own pool of connections) over the same schema.
    protected override Task<INotificationStore> OpenAgainAsync(INotificationStore store) => Task.FromResult<INotificationStore>(Open(_schemaOf[store]));

    protected override async Task<INotificationStore> RestartAsync(INotificationStore store)
    {
        await ((PostgreSqlNotificationStore)store).DisposeAsync();
        return Open(_schemaOf[store]);
    }

    protected override Task<int> PurgeAsync(INotificationStore store, DateTimeOffset before) => ((PostgreSqlNotificationStore)store).PurgeAsync(before);

    [Fact]
    public async Task ServersStartingTogether_CreateTheTablesOnce_AndShareOneToken()
    {
        string schema = Schemas.NewSchema();
        INotificationStore[] servers = [.. Enumerable.Range(0, 6).Select(_ => Open(schema))];
        bool[] won = await Task.WhenAll(servers.Select(s => Task.Run(() => s.TryConsumeLinkTokenAsync("one", Now.AddHours(1), Now))));
        Assert.Single(won, w => w);
    }

    [Fact]
    public async Task SameDatabaseAsTheStateStore_TablesSitBesideItsTables()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore approvals = Schemas.NewStore(schema);
        await approvals.InitializeAsync();
        PostgreSqlNotificationStore store = Open(schema);
        await store.MarkDeliveredAsync("k", Now);

        Assert.Equal(1L, await Schemas.ScalarAsync($"SELECT count(*) FROM \"{schema}\".\"hil_notification_deliveries\""));
        Assert.Equal(0L, await Schemas.ScalarAsync($"SELECT count(*) FROM \"{schema}\".\"hil_approvals\""));
    }

    [Fact]
    public async Task Registration_ReplacesTheInMemoryDefault_InEitherOrder_AndChecksOptionsAtOnce()
    {
        string schema = Schemas.NewSchema();
        ServiceCollection services = new();
        services.AddSingleton<INotificationStore, FakeStore>();
        services.AddHumanInLoopPostgreSqlNotificationStore(o => { o.ConnectionString = Schemas.ConnectionString; o.Schema = schema; });
        await using ServiceProvider provider = services.BuildServiceProvider();
        INotificationStore store = provider.GetRequiredService<INotificationStore>();
        Assert.IsType<PostgreSqlNotificationStore>(store);
        Assert.Same(store, provider.GetRequiredService<PostgreSqlNotificationStore>());
        await store.MarkDeliveredAsync("k", Now);
        Assert.True(await Open(schema).IsDeliveredAsync("k"));

        ArgumentException bad = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHumanInLoopPostgreSqlNotificationStore(o => { o.ConnectionString = Schemas.ConnectionString; o.Schema = "x; DROP TABLE y"; }));
        Assert.Contains("PostgreSqlNotificationStoreOptions.Schema", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHumanInLoopPostgreSqlNotificationStore("not a connection string"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (PostgreSqlNotificationStore store in _stores)
        {
            await store.DisposeAsync();
        }

        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }

    private PostgreSqlNotificationStore Open(string schema)
    {
        PostgreSqlNotificationStore store = new(new PostgreSqlNotificationStoreOptions { ConnectionString = Schemas.ConnectionString, Schema = schema });
        lock (_stores)
        {
            _stores.Add(store);
            _schemaOf[store] = schema;
        }

        return store;
    }

    private sealed class FakeStore : INotificationStore
    {
        public Task<bool> IsDeliveredAsync(string deliveryKey, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task MarkDeliveredAsync(string deliveryKey, DateTimeOffset deliveredAt, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> TryConsumeLinkTokenAsync(string tokenHash, DateTimeOffset expiresAt, DateTimeOffset usedAt, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> IsLinkTokenUsedAsync(string tokenHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
