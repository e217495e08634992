using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>Schema version 4: the call records and grants tables, added to files of every earlier version.</summary>
public sealed partial class SqliteStateStoreTests
{
    /// <summary>The tables as schema version 3 left them: version 2 and the table of conversations kept apart.</summary>
    private const string VersionThreeSchema = VersionTwoSchema + """
        CREATE TABLE "hil_approval_history" (
            approval_id TEXT NOT NULL PRIMARY KEY,
            history TEXT NOT NULL);
        INSERT INTO hil_schema_version (version, applied_at, description) VALUES (3, 1795000000000, 'approval_history: new conversations in a table of their own, so a change to an approval does not rewrite them');
        """;

    [Fact]
    public async Task Initialize_FileFromSchemaVersion3_GainsCallRecordsAndGrants_AndKeepsItsApprovals()
    {
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionThreeSchema);
        StateEntry held = Entry("held") with { History = "[]" };
        await ExecuteAsync(connection, $"""
            INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data)
            VALUES ('held', 'c1', 0, {T0.ToUnixTimeMilliseconds()}, {T0.AddDays(3).ToUnixTimeMilliseconds()}, {T0.ToUnixTimeMilliseconds()}, 1, '{held.Data}');
            INSERT INTO hil_approval_history (approval_id, history) VALUES ('held', '[]');
            """);

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(
            "call_records and grants: the calls the gate judged without holding them, and standing grants",
            await ScalarAsync(connection, "SELECT description FROM hil_schema_version WHERE version = 4"));
        Assert.Equal("id,tool_name,tenant_id,recorded_at,data", await ScalarAsync(connection, Columns("hil_call_records")));
        Assert.Equal("id,tool_name,tenant_id,created_at,expires_at,revoked,version,data", await ScalarAsync(connection, Columns("hil_grants")));
        Assert.Equal(
            "hil_call_records_recorded,hil_call_records_tenant_recorded,hil_call_records_tool_recorded,hil_grants_created,hil_grants_tenant_created,hil_grants_tool_created",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND (name LIKE 'hil_call_records_%' OR name LIKE 'hil_grants_%') ORDER BY name)"));
        Assert.Equal(held, await store.GetAsync("held"));

        await store.AppendCallRecordsAsync([new CallRecordEntry("r1", "transfer", "t1", T0, "{}")]);
        Assert.True(await store.TryCreateGrantAsync(new GrantEntry("g1", "transfer", null, T0, T0.AddHours(1), false, 1, "{}")));
        Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries);
        Assert.Single((await store.ListGrantsAsync(new GrantQuery { ActiveAt = T0 })).Entries);

        await new SqliteStateStore(connection).InitializeAsync();
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
    }

    [Fact]
    public async Task CallRecordsAndGrants_TimesAreUnixMilliseconds_FinerPartsDropped()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        DateTimeOffset at = T0.AddTicks(1_234_567); // 123.4567 ms after T0

        await store.AppendCallRecordsAsync([new CallRecordEntry("r1", "transfer", null, at, "{}")]);
        await store.TryCreateGrantAsync(new GrantEntry("g1", "transfer", null, at, at.AddHours(1), true, 1, "{}"));

        Assert.Equal(T0.ToUnixTimeMilliseconds() + 123, await ScalarAsync(connection, "SELECT recorded_at FROM hil_call_records"));
        Assert.Equal(1L, await ScalarAsync(connection, "SELECT revoked FROM hil_grants"));
        Assert.Equal(T0.AddMilliseconds(123), Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries).RecordedAt);
        Assert.Equal(T0.AddMilliseconds(123), (await store.GetGrantAsync("g1"))!.CreatedAt);
    }

    [Fact]
    public async Task CallRecordListing_UsesTheIndexForEveryFilter_WithoutSortingRows()
    {
        string connection = _files.NewConnectionString();
        await new SqliteStateStore(connection).InitializeAsync();
        string[] queries =
        [
            "SELECT * FROM hil_call_records WHERE (recorded_at, id) > (1, 'a') ORDER BY recorded_at, id LIMIT 5",
            "SELECT * FROM hil_call_records WHERE tool_name = 'x' AND recorded_at >= 1 ORDER BY recorded_at, id LIMIT 5",
            "SELECT * FROM hil_call_records WHERE tenant_id = 't' AND recorded_at < 9 ORDER BY recorded_at, id LIMIT 5",
            "SELECT * FROM hil_grants WHERE tool_name = 'x' AND revoked = 0 ORDER BY created_at DESC, id DESC LIMIT 5",
        ];

        foreach (string query in queries)
        {
            string plan = await PlanAsync(connection, query);
            Assert.Contains("USING INDEX", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        }
    }

    private static string Columns(string table) => $"SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('{table}') ORDER BY cid)";

    private static async Task<string> PlanAsync(string connection, string sql)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        List<string> lines = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
