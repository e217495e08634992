using HumanInLoop.Testing;

namespace HumanInLoop.PostgreSql.Tests;

public sealed class PostgreSqlStateStoreContractTests : StateStoreContractTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;
    private readonly Dictionary<IStateStore, string> _schemaOf = [];

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IStateStore> CreateStoreAsync()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        _schemaOf[store] = schema;
        return Task.FromResult<IStateStore>(store);
    }

    // A second store object with its own data source (its own pool of connections) over the same schema.
    protected override Task<IStateStore?> OpenSameStorageAsync(IStateStore first) =>
        Task.FromResult<IStateStore?>(Schemas.NewStore(_schemaOf[first]));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}

public sealed class PostgreSqlCallRecordStoreContractTests : CallRecordStoreContractTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;
    private readonly Dictionary<ICallRecordStore, string> _schemaOf = [];

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<ICallRecordStore> CreateStoreAsync()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        _schemaOf[store] = schema;
        return Task.FromResult<ICallRecordStore>(store);
    }

    protected override Task<ICallRecordStore?> OpenSameStorageAsync(ICallRecordStore first) =>
        Task.FromResult<ICallRecordStore?>(Schemas.NewStore(_schemaOf[first]));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}

public sealed class PostgreSqlGrantStoreContractTests : GrantStoreContractTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;
    private readonly Dictionary<IGrantStore, string> _schemaOf = [];

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IGrantStore> CreateStoreAsync()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        _schemaOf[store] = schema;
        return Task.FromResult<IGrantStore>(store);
    }

    protected override Task<IGrantStore?> OpenSameStorageAsync(IGrantStore first) =>
        Task.FromResult<IGrantStore?>(Schemas.NewStore(_schemaOf[first]));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}

public sealed class PostgreSqlHistoryContractTests : HistoryContractTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;
    private readonly Dictionary<IStateStore, string> _schemaOf = [];

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IStateStore> CreateStoreAsync()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        _schemaOf[store] = schema;
        return Task.FromResult<IStateStore>(store);
    }

    protected override Task<IStateStore?> OpenSameStorageAsync(IStateStore first) =>
        Task.FromResult<IStateStore?>(Schemas.NewStore(_schemaOf[first]));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}

public sealed class PostgreSqlStoreCostContractTests : StoreCostContractTests, IAsyncLifetime
{
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    protected override Task<IStateStore> CreateStoreAsync() => Task.FromResult<IStateStore>(Schemas.NewStore(Schemas.NewSchema()));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }
}
