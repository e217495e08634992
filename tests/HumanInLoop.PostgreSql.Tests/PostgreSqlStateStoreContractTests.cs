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
