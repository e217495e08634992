using Npgsql;

namespace HumanInLoop.PostgreSql.Tests;

/// <summary>Fresh schemas for one test, dropped afterwards, and the stores opened over them, disposed afterwards.</summary>
public sealed class PostgresSchemas : IAsyncDisposable
{
    private readonly List<string> _schemas = [];
    private readonly List<PostgreSqlStateStore> _stores = [];

    public string ConnectionString { get; } = PostgresEnvironment.Require();

    public string NewSchema()
    {
        string schema = $"t_{Guid.NewGuid():N}";
        lock (_schemas)
        {
            _schemas.Add(schema);
        }

        return schema;
    }

    public PostgreSqlStateStore Track(PostgreSqlStateStore store)
    {
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    public PostgreSqlStateStore NewStore(string? schema = null, string? connectionString = null) =>
        Track(new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { ConnectionString = connectionString ?? ConnectionString, Schema = schema ?? NewSchema() }));

    public async Task<object?> ScalarAsync(string sql)
    {
        await using NpgsqlConnection connection = new(ConnectionString);
        await connection.OpenAsync();
        // Setup statements (seeding a million rows) are not what a test measures: on a loaded 2-core box, with the three
        // target frameworks' runs seeding at once, Npgsql's default 30 s command timeout was hit. The store's own commands
        // keep their timeouts.
        await using NpgsqlCommand command = new(sql, connection) { CommandTimeout = 300 };
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (PostgreSqlStateStore store in _stores)
        {
            await store.DisposeAsync();
        }

        await using NpgsqlConnection connection = new(ConnectionString);
        await connection.OpenAsync();
        foreach (string schema in _schemas)
        {
            await using NpgsqlCommand drop = new($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
