using BenchmarkDotNet.Attributes;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace HumanInLoop.Benchmarks;

/// <summary>The first page (50) of pending approvals, newest first, with 100,000 approvals in the store (one in seven pending).</summary>
[MemoryDiagnoser]
public class ListBenchmarks
{
    private const int Rows = 100_000;
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private IStateStore _store = null!;
    private Func<Task> _cleanup = null!;
    private string _location = "";

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    public static IEnumerable<string> Stores() => BenchmarkStores.Available();

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_store, _location, _cleanup) = await BenchmarkStores.CreateAsync(Store);
        PendingApproval approval = await BenchmarkStores.MakeApprovalAsync(10);
        string data = PendingApprovalSerializer.Serialize(approval);
        switch (_store)
        {
            case InMemoryStateStore memory:
                for (int i = 0; i < Rows; i++)
                {
                    await memory.TryCreateAsync(Row(i, data));
                }

                break;
            case SqliteStateStore:
                await SeedSqliteAsync(data);
                break;
            case PostgreSqlStateStore:
                await SeedPostgresAsync(data);
                break;
        }
    }

    [GlobalCleanup]
    public Task CleanupAsync() => _cleanup();

    [Benchmark]
    public Task<StatePage> FirstPageOfPending() => _store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 50 });

    private static StateEntry Row(int i, string data) =>
        new($"apr_{i:D7}", $"conv-{i % 5000}", (ApprovalStatus)(i % 7), T0.AddSeconds(i), T0.AddDays(3), T0.AddSeconds(i), 1, data);

    private async Task SeedSqliteAsync(string data)
    {
        await using SqliteConnection connection = new($"Data Source={_location}");
        await connection.OpenAsync();
        await using SqliteTransaction transaction = connection.BeginTransaction();
        await using SqliteCommand insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data) VALUES (@id, @c, @s, @t, @e, @t, 1, @d)";
        SqliteParameter id = insert.Parameters.Add("@id", SqliteType.Text);
        SqliteParameter conversation = insert.Parameters.Add("@c", SqliteType.Text);
        SqliteParameter status = insert.Parameters.Add("@s", SqliteType.Integer);
        SqliteParameter time = insert.Parameters.Add("@t", SqliteType.Integer);
        insert.Parameters.AddWithValue("@e", T0.AddDays(3).ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("@d", data);
        for (int i = 0; i < Rows; i++)
        {
            StateEntry row = Row(i, data);
            id.Value = row.Id;
            conversation.Value = row.ConversationId;
            status.Value = (int)row.Status;
            time.Value = row.CreatedAt.ToUnixTimeMilliseconds();
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        await using SqliteCommand analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync();
    }

    private async Task SeedPostgresAsync(string data)
    {
        await using NpgsqlDataSource admin = NpgsqlDataSource.Create(BenchmarkStores.PostgresConnectionString!);
        string schema = _location;
        await using NpgsqlCommand insert = admin.CreateCommand($"""
            INSERT INTO "{schema}".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data)
            SELECT 'apr_' || lpad(i::text, 7, '0'), 'conv-' || (i % 5000), i % 7,
                   $1 + i * interval '1 second', $1 + interval '3 days', $1 + i * interval '1 second', 1, $2
            FROM generate_series(0, {Rows - 1}) AS i
            """);
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = T0 });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data });
        await insert.ExecuteNonQueryAsync();
        await using NpgsqlCommand analyze = admin.CreateCommand($"ANALYZE \"{schema}\".hil_approvals");
        await analyze.ExecuteNonQueryAsync();
    }
}
