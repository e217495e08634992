using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>Schema version 5: the approvals' tenant column, filled from the stored records of every earlier version, and its indexes.</summary>
public sealed partial class SqliteStateStoreTests
{
    /// <summary>The tables as schema version 4 left them (SqliteSchemaDialect.cs, Migration(4), never changed).</summary>
    private const string VersionFourSchema = VersionThreeSchema + """
        CREATE TABLE "hil_call_records" (id TEXT NOT NULL PRIMARY KEY, tool_name TEXT NOT NULL, tenant_id TEXT NULL, recorded_at INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE INDEX "hil_call_records_recorded" ON "hil_call_records" (recorded_at, id);
        CREATE INDEX "hil_call_records_tool_recorded" ON "hil_call_records" (tool_name, recorded_at, id);
        CREATE INDEX "hil_call_records_tenant_recorded" ON "hil_call_records" (tenant_id, recorded_at, id);
        CREATE TABLE "hil_grants" (id TEXT NOT NULL PRIMARY KEY, tool_name TEXT NOT NULL, tenant_id TEXT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE INDEX "hil_grants_created" ON "hil_grants" (created_at DESC, id DESC);
        CREATE INDEX "hil_grants_tool_created" ON "hil_grants" (tool_name, created_at DESC, id DESC);
        CREATE INDEX "hil_grants_tenant_created" ON "hil_grants" (tenant_id, created_at DESC, id DESC);
        INSERT INTO hil_schema_version (version, applied_at, description) VALUES (4, 1795000000000, 'call_records and grants: the calls the gate judged without holding them, and standing grants');
        """;

    [Fact]
    public async Task Initialize_FileFromSchemaVersion4_FillsTheTenantColumnFromEachStoredRecord()
    {
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionFourSchema);
        string[] rows =
        [
            """('a', '{"id":"a","context":{"userId":"u","tenantId":"tenant-a"},"seal":"00"}')""",
            """('b', '{"id":"b","context":{"tenantId":"tenant-b","conversationId":"c"}}')""",
            """('none', '{"id":"none","context":{"userId":"u"}}')""",
            """('number', '{"id":"number","context":{"tenantId":7}}')""",
            """('broken', 'not json {')""",
        ];
        foreach (string row in rows)
        {
            await ExecuteAsync(connection, $"INSERT INTO hil_approvals (id, data, conversation_id, status, created_at, expires_at, updated_at, version) SELECT column1, column2, NULL, 0, 1, 2, 1, 1 FROM (VALUES {row})");
        }

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(
            "approvals: tenant_id column (backfilled from the stored context) and tenant listing indexes",
            await ScalarAsync(connection, "SELECT description FROM hil_schema_version WHERE version = 5"));
        Assert.Equal("a=tenant-a,b=tenant-b,broken=,none=,number=", await ScalarAsync(connection, "SELECT group_concat(id || '=' || COALESCE(tenant_id, ''), ',') FROM (SELECT id, tenant_id FROM hil_approvals ORDER BY id)"));
        Assert.Equal(
            "hil_approvals_tenant_created,hil_approvals_tenant_status_created,hil_approvals_tenant_status_expires",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'hil_approvals_tenant%' ORDER BY name)"));
        Assert.Equal("a", Assert.Single((await store.ListAsync(new StateQuery { TenantId = "tenant-a" })).Entries).Id);
        Assert.Equal("tenant-b", (await store.GetAsync("b"))!.TenantId);
        Assert.Null((await store.GetAsync("broken"))!.TenantId); // kept, seen by no tenant

        await new SqliteStateStore(connection).InitializeAsync();
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    public async Task List_ByTenant_FiltersInTheQueryThroughATenantIndex_WithoutSorting(bool byConversation, bool byStatus, bool afterToken)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);
        await ExecuteAsync(connection, "UPDATE hil_approvals SET tenant_id = 'tenant-' || (rowid % 50); ANALYZE;");

        string sql = store.BuildListSql(byConversation, byStatus, afterToken, byTenant: true);
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("@limit", 51);
        command.Parameters.AddWithValue("@tenant", "tenant-7");
        command.Parameters.AddWithValue("@conversation", "conv-7");
        command.Parameters.AddWithValue("@status", 1);
        command.Parameters.AddWithValue("@afterCreated", T0.AddHours(1).ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("@afterId", "apr_003600");
        List<string> plan = [];
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        string text = string.Join(Environment.NewLine, plan);
        Assert.Contains("a.tenant_id = @tenant", sql, StringComparison.Ordinal);
        Assert.Matches("SEARCH a USING (COVERING )?INDEX hil_approvals_", text);
        Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
        if (!byConversation)
        {
            Assert.Contains(byStatus ? "hil_approvals_tenant_status_created (tenant_id=? AND status=?" : "hil_approvals_tenant_created (tenant_id=?", text, StringComparison.Ordinal);
        }
    }
}
