using System.Globalization;
using Npgsql;

namespace HumanInLoop.PostgreSql.Tests;

/// <summary>Schema version 3: the call records and grants tables, added to databases of every earlier version.</summary>
public sealed partial class PostgreSqlStateStoreTests
{
    /// <summary>The schema and tables as schema version 2 left them: version 1 and a nullable history column.</summary>
    private static string VersionTwoSchema(string schema) => VersionOneSchema(schema) + $"""
        ALTER TABLE "{schema}"."hil_approvals" ADD COLUMN history text NULL;
        INSERT INTO "{schema}".hil_schema_version (version, applied_at, description) VALUES (2, now(), 'approvals: history column (the conversation, written once)');
        """;

    [Fact]
    public async Task Initialize_DatabaseFromSchemaVersion2_GainsCallRecordsAndGrants_AndKeepsItsApprovals()
    {
        string schema = Schemas.NewSchema();
        await Schemas.ScalarAsync(VersionTwoSchema(schema) + $"""
            INSERT INTO "{schema}".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data, history)
            VALUES ('held', 'c1', 0, timestamptz '2026-11-24 12:00:00+00', timestamptz '2026-11-27 12:00:00+00', timestamptz '2026-11-24 12:00:00+00', 1, '{"{"}"id":"held"{"}"}', '[]');
            """);

        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
        Assert.Equal(
            "call_records and grants: the calls the gate judged without holding them, and standing grants",
            await Schemas.ScalarAsync($"SELECT description FROM \"{schema}\".hil_schema_version WHERE version = 3"));
        Assert.Equal("id text,tool_name text,tenant_id text,recorded_at timestamp with time zone,data text", await Schemas.ScalarAsync(Columns(schema, "hil_call_records")));
        Assert.Equal(
            "id text,tool_name text,tenant_id text,created_at timestamp with time zone,expires_at timestamp with time zone,revoked boolean,version bigint,data text",
            await Schemas.ScalarAsync(Columns(schema, "hil_grants")));
        Assert.Equal(
            "hil_call_records_recorded,hil_call_records_tenant_recorded,hil_call_records_tool_recorded,hil_grants_created,hil_grants_tenant_created,hil_grants_tool_created",
            await Schemas.ScalarAsync($"SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname NOT LIKE '%pkey' AND (tablename = 'hil_call_records' OR tablename = 'hil_grants')"));
        StateEntry held = (await store.GetAsync("held"))!;
        Assert.Equal(("{\"id\":\"held\"}", "[]"), (held.Data, held.History));

        await store.AppendCallRecordsAsync([new CallRecordEntry("r1", "transfer", "t1", T0, "{}")]);
        Assert.True(await store.TryCreateGrantAsync(new GrantEntry("g1", "transfer", null, T0, T0.AddHours(1), false, 1, "{}")));
        Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries);
        Assert.Single((await store.ListGrantsAsync(new GrantQuery { ActiveAt = T0 })).Entries);

        await Schemas.NewStore(schema).InitializeAsync();
        Assert.Equal(6L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_schema_version"));
    }

    [Fact]
    public async Task CallRecordsAndGrants_TimesAreKeptToTheMillisecond()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        DateTimeOffset at = T0.AddTicks(1_234_567); // 123.4567 ms after T0

        await store.AppendCallRecordsAsync([new CallRecordEntry("r1", "transfer", null, at, "{}")]);
        await store.TryCreateGrantAsync(new GrantEntry("g1", "transfer", null, at, at.AddHours(1), true, 1, "{}"));

        Assert.Equal(T0.AddMilliseconds(123), Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries).RecordedAt);
        Assert.Equal(T0.AddMilliseconds(123), (await store.GetGrantAsync("g1"))!.CreatedAt);
        Assert.Equal(T0.AddMilliseconds(123).AddHours(1), (await store.GetGrantAsync("g1"))!.ExpiresAt);
    }

    [Fact]
    public async Task ListCallRecords_AMillionRows_StreamsPageByPage_WithBoundedMemory()
    {
        const int rows = 1_000_000;
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        // Ten records share each millisecond, so that every page boundary is also a tie broken by id.
        await Schemas.ScalarAsync($"""
            INSERT INTO "{schema}".hil_call_records (id, tool_name, tenant_id, recorded_at, data)
            SELECT 'r' || lpad(i::text, 7, '0'), CASE WHEN i % 10 = 0 THEN 'lookup' ELSE 'transfer' END, 't' || (i % 50),
                   timestamptz '2026-11-24 12:00:00+00' + (i / 10) * interval '1 millisecond', '{"{"}"n":' || i || '{"}"}'
            FROM generate_series(0, {rows - 1}) AS i;
            ANALYZE "{schema}".hil_call_records;
            """);

        int seen = 0, pages = 0;
        string? last = null, token = null;
        long baseline = GC.GetTotalMemory(forceFullCollection: true), peak = 0;
        do
        {
            CallRecordPage page = await store.ListCallRecordsAsync(new CallRecordQuery { PageSize = 5000, ContinuationToken = token });
            foreach (CallRecordEntry entry in page.Entries)
            {
                Assert.True(last is null || string.CompareOrdinal(last, entry.Id) < 0, $"{entry.Id} after {last}");
                last = entry.Id;
            }

            seen += page.Entries.Count;
            token = page.ContinuationToken;
            if (++pages % 25 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }
        while (token is not null);

        Assert.Equal(rows, seen);
        Assert.Equal(rows / 5000, pages);
        Assert.Equal("r0999999", last);
        Assert.True(peak < 64 * 1024 * 1024, $"The listing held {peak / 1024 / 1024} MB; a page of 5,000 small records should need a few.");

        // Every page is an index range scan from the token, stopped by the limit: no sort and no offset, however deep the page.
        string plan = await ExplainPlanAsync(
            $"SELECT * FROM \"{schema}\".hil_call_records WHERE (recorded_at, id) > (timestamptz '2026-11-24 12:01:00+00', 'r0600000') ORDER BY recorded_at, id LIMIT 5001");
        Assert.Contains("Index Scan using hil_call_records_recorded", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);

        // Filtered, the filter's index is used; for a small match set the planner may instead sort the few matching rows (top-N, bounded by the limit).
        Assert.Contains("hil_call_records_tool_recorded", await ExplainPlanAsync(
            $"SELECT * FROM \"{schema}\".hil_call_records WHERE tool_name = 'lookup' AND (recorded_at, id) > (timestamptz '2026-11-24 12:01:00+00', 'r0600000') ORDER BY recorded_at, id LIMIT 5001"),
            StringComparison.Ordinal);
        Assert.Contains("hil_call_records_tenant_recorded", await ExplainPlanAsync(
            $"SELECT * FROM \"{schema}\".hil_call_records WHERE tenant_id = 't7' AND (recorded_at, id) > (timestamptz '2026-11-24 12:01:00+00', 'r0600000') ORDER BY recorded_at, id LIMIT 5001"),
            StringComparison.Ordinal);
    }

    private static string Columns(string schema, string table) =>
        $"SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = '{table}'";

    private async Task<string> ExplainPlanAsync(string sql)
    {
        await using NpgsqlConnection connection = new(Schemas.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new("EXPLAIN " + sql, connection);
        List<string> lines = [];
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join(Environment.NewLine, lines) + string.Create(CultureInfo.InvariantCulture, $" ({lines.Count} lines)");
    }
}
