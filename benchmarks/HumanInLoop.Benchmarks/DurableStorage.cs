using System.Text.Json;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// The three sides of the durable-write floor on one kind of storage, each in its own file (SQLite) or schema (PostgreSQL) with the
/// store's own tables and indexes: HumanInLoop's store; the floor, which replays the writes HumanInLoop made as bare parameterized
/// statements through the same driver; and the table where Microsoft.Extensions.AI's flow keeps its paused conversation.
/// </summary>
public abstract class DurableStorage : IAsyncDisposable
{
    /// <summary>
    /// Gets or sets whether the floor writes the approvals' <c>approvers</c> column as HumanInLoop does (the default, so that the
    /// floor writes the same bytes and the store's triggers do the same work); <see langword="false"/> for the floor as first
    /// measured (6 December 2026), which left it NULL.
    /// </summary>
    public static bool FloorWritesApprovers { get; set; } = true;

    /// <summary>Gets HumanInLoop's store.</summary>
    public abstract IStateStore HilStore { get; }

    public static async Task<DurableStorage> CreateAsync(string kind) => kind switch
    {
        BenchmarkStores.Sqlite => await SqliteDurableStorage.CreateAsync(),
        BenchmarkStores.PostgreSql => await PostgresDurableStorage.CreateAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// The floor: each write HumanInLoop made (<paramref name="writes"/>, creates and updates in order), with the same parameters
    /// byte for byte except the id (<paramref name="id"/>, of the same length), one commit each, as bare statements.
    /// </summary>
    public abstract Task ReplayAsync(IReadOnlyList<StoreOperation> writes, string id);

    /// <summary>Microsoft's flow: saves the conversation (one insert, one commit).</summary>
    public abstract Task SaveConversationAsync(string id, string json);

    /// <summary>Microsoft's flow: loads the conversation.</summary>
    public abstract Task<string> LoadConversationAsync(string id);

    /// <summary>Empties every table of the three sides.</summary>
    public abstract Task ClearAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>An id for the floor of the same length as HumanInLoop's, so the bytes written are the same.</summary>
    public static string FreshId(int length)
    {
        string guid = Guid.NewGuid().ToString("N");
        return length <= guid.Length ? guid[..length] : guid.PadRight(length, '0');
    }

    protected static void Expect(int rows, StoreOperation write)
    {
        if (rows != 1)
        {
            throw new InvalidOperationException($"The floor's {write.Operation} to version {write.Entry!.Version} changed {rows} rows.");
        }
    }
}

/// <summary>SQLite files in a temporary directory; the floor opens a pooled connection per commit, like the store.</summary>
public sealed class SqliteDurableStorage : DurableStorage
{
    private readonly string _directory;
    private readonly SqliteStateStore _hil;
    private readonly string _hilConnection;
    private readonly string _floorConnection;
    private readonly SqliteHistoryTable _meai;

    private SqliteDurableStorage(string directory)
    {
        _directory = directory;
        _hilConnection = $"Data Source={Path.Combine(directory, "approvals.db")}";
        _floorConnection = $"Data Source={Path.Combine(directory, "floor.db")}";
        _hil = new SqliteStateStore(_hilConnection);
        _meai = new SqliteHistoryTable(Path.Combine(directory, "conversations.db"));
    }

    public override IStateStore HilStore => _hil;

    public static async Task<SqliteDurableStorage> CreateAsync()
    {
        SqliteDurableStorage storage = new(Directory.CreateTempSubdirectory("hil-bench-floor-").FullName);
        await storage._hil.InitializeAsync();
        await new SqliteStateStore(storage._floorConnection).InitializeAsync(); // the same tables, indexes and WAL mode
        await storage._meai.InitializeAsync();
        return storage;
    }

    public override async Task ReplayAsync(IReadOnlyList<StoreOperation> writes, string id)
    {
        foreach (StoreOperation write in writes)
        {
            StateEntry entry = write.Entry!;
            await using SqliteConnection connection = new(_floorConnection);
            await connection.OpenAsync();
            if (write.Operation == "create")
            {
                await using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
                await using (SqliteCommand insert = connection.CreateCommand())
                {
                    insert.Transaction = transaction;
                    insert.CommandText = FloorWritesApprovers
                        ? "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, tenant_id, approvers) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data, @tenant, @approvers)"
                        : "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, tenant_id) VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data, @tenant)";
                    AddEntry(insert, entry, id);
                    Expect(await insert.ExecuteNonQueryAsync(), write);
                }

                if (entry.History is not null)
                {
                    await using SqliteCommand history = connection.CreateCommand();
                    history.Transaction = transaction;
                    history.CommandText = "INSERT INTO hil_approval_history (approval_id, history) VALUES (@id, @history)";
                    history.Parameters.AddWithValue("@id", id);
                    history.Parameters.AddWithValue("@history", entry.History);
                    await history.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }
            else
            {
                await using SqliteCommand update = connection.CreateCommand();
                update.CommandText = FloorWritesApprovers
                    ? "UPDATE hil_approvals SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires, updated_at = @updated, version = @version, data = @data, tenant_id = @tenant, approvers = @approvers WHERE id = @id AND version = @expected"
                    : "UPDATE hil_approvals SET conversation_id = @conversation, status = @status, created_at = @created, expires_at = @expires, updated_at = @updated, version = @version, data = @data, tenant_id = @tenant WHERE id = @id AND version = @expected";
                AddEntry(update, entry, id);
                update.Parameters.AddWithValue("@expected", write.ExpectedVersion!.Value);
                Expect(await update.ExecuteNonQueryAsync(), write);
            }
        }
    }

    public override Task SaveConversationAsync(string id, string json) => _meai.SaveAsync(id, ApprovalCycle.ConversationId, json);

    public override Task<string> LoadConversationAsync(string id) => _meai.LoadAsync(id);

    public override async Task ClearAsync()
    {
        await _meai.ClearAsync();
        foreach (string connectionString in new[] { _hilConnection, _floorConnection })
        {
            await using SqliteConnection connection = new(connectionString);
            await connection.OpenAsync();
            await using SqliteCommand delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM hil_approvals; DELETE FROM hil_approval_history";
            await delete.ExecuteNonQueryAsync();
        }
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static void AddEntry(SqliteCommand command, StateEntry entry, string id)
    {
        command.Parameters.AddWithValue("@id", id);
        command.Parameters.AddWithValue("@conversation", (object?)entry.ConversationId ?? DBNull.Value);
        command.Parameters.AddWithValue("@status", (int)entry.Status);
        command.Parameters.AddWithValue("@created", entry.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@expires", entry.ExpiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@updated", entry.UpdatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@version", entry.Version);
        command.Parameters.AddWithValue("@data", entry.Data);
        command.Parameters.AddWithValue("@tenant", (object?)entry.TenantId ?? DBNull.Value);
        if (FloorWritesApprovers)
        {
            command.Parameters.AddWithValue("@approvers", entry.Approvers is { } names ? JsonSerializer.Serialize(names) : DBNull.Value);
        }
    }
}

/// <summary>
/// Three schemas on the server named by HUMANINLOOP_POSTGRES, each made by <see cref="PostgreSqlStateStore"/>; the floor and
/// Microsoft's flow run single statements (autocommit) through one <see cref="NpgsqlDataSource"/>, like the store.
/// </summary>
public sealed class PostgresDurableStorage : DurableStorage
{
    private readonly string _connection;
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private readonly PostgreSqlStateStore _hil;
    private readonly NpgsqlDataSource _bare;

    private PostgresDurableStorage(string connection)
    {
        _connection = connection;
        _hil = new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { ConnectionString = connection, Schema = Schema("hil") });
        _bare = NpgsqlDataSource.Create(connection);
    }

    public override IStateStore HilStore => _hil;

    private string FloorTable => $"\"{Schema("floor")}\".hil_approvals";

    private static string ApproversColumn => FloorWritesApprovers ? ", approvers" : "";

    private static string ApproversValue => FloorWritesApprovers ? ", $11" : "";

    private static string ApproversSet => FloorWritesApprovers ? ", approvers = $11" : "";

    private string MeaiTable => $"\"{Schema("meai")}\".hil_approvals";

    public static async Task<PostgresDurableStorage> CreateAsync()
    {
        PostgresDurableStorage storage = new(BenchmarkStores.PostgresConnectionString ?? throw new InvalidOperationException("HUMANINLOOP_POSTGRES is not set."));
        await storage._hil.InitializeAsync();
        foreach (string side in new[] { "floor", "meai" })
        {
            await using PostgreSqlStateStore tables = new(new PostgreSqlStateStoreOptions { ConnectionString = storage._connection, Schema = storage.Schema(side) });
            await tables.InitializeAsync(); // the same tables and indexes as HumanInLoop's
        }

        return storage;
    }

    public override async Task ReplayAsync(IReadOnlyList<StoreOperation> writes, string id)
    {
        foreach (StoreOperation write in writes)
        {
            StateEntry entry = write.Entry!;
            await using NpgsqlCommand command = _bare.CreateCommand(write.Operation == "create"
                ? $"INSERT INTO {FloorTable} (id, conversation_id, status, created_at, expires_at, updated_at, version, data, history, tenant_id{ApproversColumn}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{ApproversValue})"
                : $"UPDATE {FloorTable} SET conversation_id = $2, status = $3, created_at = $4, expires_at = $5, updated_at = $6, version = $7, data = $8, tenant_id = $10{ApproversSet} WHERE id = $1 AND version = $9");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)entry.Status });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.ExpiresAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.UpdatedAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.Version });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Data, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(write.Operation == "create"
                ? new NpgsqlParameter { Value = (object?)entry.History ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
                : new NpgsqlParameter<long> { TypedValue = write.ExpectedVersion!.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            if (FloorWritesApprovers)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = entry.Approvers is { } names ? names.ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            }

            Expect(await command.ExecuteNonQueryAsync(), write);
        }
    }

    public override async Task SaveConversationAsync(string id, string json)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await using NpgsqlCommand command = _bare.CreateCommand($"INSERT INTO {MeaiTable} (id, conversation_id, status, created_at, expires_at, updated_at, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApprovalCycle.ConversationId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.AddDays(3), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 1 });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Text });
        if (await command.ExecuteNonQueryAsync() != 1)
        {
            throw new InvalidOperationException($"A conversation with id '{id}' exists already.");
        }
    }

    public override async Task<string> LoadConversationAsync(string id)
    {
        await using NpgsqlCommand command = _bare.CreateCommand($"SELECT data FROM {MeaiTable} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteScalarAsync() as string ?? throw new InvalidOperationException($"No conversation '{id}'.");
    }

    public override async Task ClearAsync()
    {
        foreach (string side in new[] { "hil", "floor", "meai" })
        {
            await using NpgsqlCommand delete = _bare.CreateCommand($"DELETE FROM \"{Schema(side)}\".hil_approvals");
            await delete.ExecuteNonQueryAsync();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _hil.DisposeAsync();
        foreach (string side in new[] { "hil", "floor", "meai" })
        {
            await using NpgsqlCommand drop = _bare.CreateCommand($"DROP SCHEMA \"{Schema(side)}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }

        await _bare.DisposeAsync();
    }

    private string Schema(string side) => $"bench_{side}_{_suffix}";
}
