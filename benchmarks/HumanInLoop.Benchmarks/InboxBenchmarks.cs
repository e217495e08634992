using BenchmarkDotNet.Attributes;
using HumanInLoop.PostgreSql;
using HumanInLoop.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Issue 18, goal 6: the inbox at a million rows. The first page (50) of pending approvals, and a page 100 pages later by its
/// continuation token, with 1,000,000 approvals in SQLite and in PostgreSQL; unfiltered, by tenant, by approver (an approver's
/// inbox: its id, its role and calls anyone may decide) and by both.
/// </summary>
/// <remarks>
/// The rows go in once, in <see cref="SetupAsync"/>, straight into the store's own tables (SQLite: one transaction, one prepared
/// statement; PostgreSQL: one <c>INSERT ... SELECT FROM generate_series</c>), then <c>ANALYZE</c>. One in ten is pending (100,000); 100 tenants (1,000 pending each);
/// the data of every row is that of one real approval. Of the pending, one in five may be decided by anyone; the others name one of
/// 20 roles and one of 820 users (so one approver's inbox holds about 23,700: 91 by id, 3,570 by role, 20,000 open to anyone).
/// </remarks>
[MemoryDiagnoser]
public class InboxBenchmarks
{
    // Filled once per store and process (the in-process toolchain runs every case in one process), dropped when it exits.
    private static readonly Dictionary<string, IStateStore> Filled = [];
    private IStateStore _store = null!;
    private string _laterToken = "";
    private string _tenantLaterToken = "";
    private string _approverLaterToken = "";
    private string _deadlineLaterToken = "";
    private string _deadlineApproverLaterToken = "";

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    public static IEnumerable<string> Stores() => BenchmarkStores.Available().Where(s => s != BenchmarkStores.InMemory);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (!Filled.TryGetValue(Store, out IStateStore? store))
        {
            (store, string location, Func<Task> cleanup) = await BenchmarkStores.CreateAsync(Store);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cleanup().GetAwaiter().GetResult();
            string data = PendingApprovalSerializer.Serialize(await BenchmarkStores.MakeApprovalAsync(2));
            if (store is SqliteStateStore)
            {
                InboxRows.FillSqlite(location, data);
            }
            else
            {
                await InboxRows.FillPostgresAsync(location, data);
            }

            Filled[Store] = store;
        }

        _store = store;
        _laterToken = await TokenAfterAsync(Pending());
        _tenantLaterToken = await TokenAfterAsync(Pending() with { TenantId = InboxRows.Tenant });
        _approverLaterToken = await TokenAfterAsync(Pending() with { Approver = InboxRows.Approver });
        _deadlineLaterToken = await TokenAfterAsync(Deadline());
        _deadlineApproverLaterToken = await TokenAfterAsync(Deadline() with { Approver = InboxRows.Approver });
    }

    [Benchmark(Baseline = true)]
    public Task<StatePage> FirstPage() => _store.ListAsync(Pending());

    [Benchmark]
    public Task<StatePage> LaterPage() => _store.ListAsync(Pending() with { ContinuationToken = _laterToken });

    [Benchmark]
    public Task<StatePage> TenantFirstPage() => _store.ListAsync(Pending() with { TenantId = InboxRows.Tenant });

    [Benchmark]
    public Task<StatePage> TenantLaterPage() => _store.ListAsync(Pending() with { TenantId = InboxRows.Tenant, ContinuationToken = _tenantLaterToken });

    [Benchmark]
    public Task<StatePage> ApproverFirstPage() => _store.ListAsync(Pending() with { Approver = InboxRows.Approver });

    [Benchmark]
    public Task<StatePage> ApproverLaterPage() => _store.ListAsync(Pending() with { Approver = InboxRows.Approver, ContinuationToken = _approverLaterToken });

    [Benchmark]
    public Task<StatePage> TenantApproverFirstPage() => _store.ListAsync(Pending() with { TenantId = InboxRows.Tenant, Approver = InboxRows.Approver });

    [Benchmark]
    public Task<StatePage> DeadlineFirstPage() => _store.ListAsync(Deadline());

    [Benchmark]
    public Task<StatePage> DeadlineLaterPage() => _store.ListAsync(Deadline() with { ContinuationToken = _deadlineLaterToken });

    [Benchmark]
    public Task<StatePage> DeadlineTenantFirstPage() => _store.ListAsync(Deadline() with { TenantId = InboxRows.Tenant });

    [Benchmark]
    public Task<StatePage> DeadlineApproverFirstPage() => _store.ListAsync(Deadline() with { Approver = InboxRows.Approver });

    [Benchmark]
    public Task<StatePage> DeadlineApproverLaterPage() =>
        _store.ListAsync(Deadline() with { Approver = InboxRows.Approver, ContinuationToken = _deadlineApproverLaterToken });

    private static StateQuery Pending() => new() { Status = ApprovalStatus.Pending, PageSize = 50 };

    // The approver console's inbox order (StateOrder.SoonestDeadlineFirst): keyset on (expires_at, id).
    private static StateQuery Deadline() => Pending() with { Order = StateOrder.SoonestDeadlineFirst };

    // The token of page 11 (a tenant has 1,000 pending approvals, 20 pages): keyset paging costs the same at any depth.
    private async Task<string> TokenAfterAsync(StateQuery query)
    {
        string? token = null;
        for (int page = 0; page < 10; page++)
        {
            token = (await _store.ListAsync(query with { ContinuationToken = token })).ContinuationToken
                ?? throw new InvalidOperationException("Fewer than 11 pages.");
        }

        return token!;
    }
}

/// <summary>The million rows of <see cref="InboxBenchmarks"/>, written straight into a store's tables.</summary>
internal static class InboxRows
{
    public const int Rows = 1_000_000;
    public const int Tenants = 100;
    public const string Tenant = "tenant-042";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly Approver Approver = new("user-0042", ["role-07"]);

    public static string Id(int i) => $"apr_{i:D7}";

    // Who may decide a pending row, as the core writes it (StateEntry.Approvers: distinct, ordinal order; '' for anyone).
    public static string? ApproversJson(int i) => Status(i) != 0 ? null
        : i / 10 % 5 == 0 ? "[\"\"]" : $"[\"role-{i / 70 % 20:D2}\",\"user-{i / 11 % 1000:D4}\"]";

    // Deadlines not in creation order (a multiplicative scramble over about 11.6 days), as in an inbox whose approvals have
    // different expiries: the same expression as the PostgreSQL fill's.
    public static long DeadlineShift(int i) => i * 7919L % 1_000_003;

    public static int Status(int i) => i % 10 == 0 ? 0 : 1 + (i % 6);

    // Not i % Tenants: with one in ten pending, that would leave 90 tenants with no pending approval at all.
    public static string TenantOf(int i) => $"tenant-{i / 7 % Tenants:D3}";

    public static void FillSqlite(string path, string data)
    {
        using SqliteConnection connection = new($"Data Source={path}");
        connection.Open();
        using SqliteTransaction transaction = connection.BeginTransaction();
        using SqliteCommand insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, tenant_id, approvers) VALUES (@id, @c, @s, @t, @e, @t, 1, @d, @tenant, @approvers)";
        SqliteParameter expires = insert.Parameters.Add("@e", SqliteType.Integer);
        SqliteParameter id = insert.Parameters.Add("@id", SqliteType.Text);
        SqliteParameter conversation = insert.Parameters.Add("@c", SqliteType.Text);
        SqliteParameter status = insert.Parameters.Add("@s", SqliteType.Integer);
        SqliteParameter time = insert.Parameters.Add("@t", SqliteType.Integer);
        SqliteParameter tenant = insert.Parameters.Add("@tenant", SqliteType.Text);
        SqliteParameter approvers = insert.Parameters.Add("@approvers", SqliteType.Text);
        insert.Parameters.AddWithValue("@d", data);
        insert.Prepare();
        for (int i = 0; i < Rows; i++)
        {
            id.Value = Id(i);
            conversation.Value = $"conv-{i % 50_000}";
            status.Value = Status(i);
            time.Value = T0.AddMilliseconds(i * 1000L).ToUnixTimeMilliseconds();
            expires.Value = T0.AddDays(400).AddSeconds(-DeadlineShift(i)).ToUnixTimeMilliseconds();
            tenant.Value = TenantOf(i);
            approvers.Value = (object?)ApproversJson(i) ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        using SqliteCommand analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        analyze.ExecuteNonQuery();
    }

    public static async Task FillPostgresAsync(string schema, string data)
    {
        await using NpgsqlDataSource admin = NpgsqlDataSource.Create(BenchmarkStores.PostgresConnectionString!);
        await using NpgsqlCommand insert = admin.CreateCommand($"""
            INSERT INTO "{schema}".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, tenant_id, approvers)
            SELECT 'apr_' || lpad(i::text, 7, '0'), 'conv-' || (i % 50000), CASE WHEN i % 10 = 0 THEN 0 ELSE 1 + i % 6 END,
                   $1 + i * interval '1 second', $1 + interval '400 days' - ((i::bigint * 7919) % 1000003) * interval '1 second',
                   $1 + i * interval '1 second', 1, $2,
                   'tenant-' || lpad((i / 7 % {Tenants})::text, 3, '0'),
                   CASE WHEN i % 10 <> 0 THEN NULL WHEN i / 10 % 5 = 0 THEN ARRAY['']
                        ELSE ARRAY['role-' || lpad((i / 70 % 20)::text, 2, '0'), 'user-' || lpad((i / 11 % 1000)::text, 4, '0')] END
            FROM generate_series(0, {Rows - 1}) AS i
            """);
        insert.CommandTimeout = 600;
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = T0 });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data });
        await insert.ExecuteNonQueryAsync();
        foreach (string table in new[] { "hil_approvals", "hil_approval_approvers" })
        {
            await using NpgsqlCommand analyze = admin.CreateCommand($"VACUUM ANALYZE \"{schema}\".{table}");
            analyze.CommandTimeout = 600;
            await analyze.ExecuteNonQueryAsync();
        }
    }
}
