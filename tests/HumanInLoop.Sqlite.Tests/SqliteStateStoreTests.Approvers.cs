using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>Schema version 6: who may decide each pending approval, filled from the stored records of every earlier version, and an approver's inbox by index.</summary>
public sealed partial class SqliteStateStoreTests
{
    /// <summary>The tables as schema version 5 left them (SqliteSchemaDialect.cs, Migration(5), never changed).</summary>
    private const string VersionFiveSchema = VersionFourSchema + """
        ALTER TABLE "hil_approvals" ADD COLUMN tenant_id TEXT NULL;
        CREATE INDEX "hil_approvals_tenant_created" ON "hil_approvals" (tenant_id, created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_tenant_status_created" ON "hil_approvals" (tenant_id, status, created_at DESC, id DESC);
        INSERT INTO hil_schema_version (version, applied_at, description) VALUES (5, 1795000000000, 'approvals: tenant_id column (backfilled from the stored context) and tenant listing indexes');
        """;

    [Fact]
    public async Task Initialize_FileFromSchemaVersion5_FillsWhoMayDecideFromEachStoredPendingRecord_AndListsItsInbox()
    {
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionFiveSchema);
        string[] rows =
        [
            """('p', 0, 'tenant-a', '{"id":"p","calls":[{"decision":"AwaitingApproval","approvers":["ops","alice","ops"]},{"decision":"AwaitingApproval","approvers":[]},{"decision":"Approved","approvers":["zed"]}]}')""",
            """('s', 0, NULL, '{"id":"s","calls":[{"decision":"AwaitingApproval","approvers":["finance"]}],"seal":"00"}')""",
            """('nc', 0, NULL, '{"id":"nc","calls":[{"decision":"AwaitingApproval","approvers":["\u0000no-common-approver"]}]}')""",
            """('d', 1, NULL, '{"id":"d","calls":[{"decision":"AwaitingApproval","approvers":["alice"]}]}')""",
            """('none', 0, NULL, '{"id":"none","calls":[{"decision":"Rejected","approvers":["alice"]}]}')""",
            """('broken', 0, NULL, 'not json {')""",
        ];
        foreach (string row in rows)
        {
            await ExecuteAsync(connection, $"INSERT INTO hil_approvals (id, status, tenant_id, data, conversation_id, created_at, expires_at, updated_at, version) SELECT column1, column2, column3, column4, NULL, 1, 2, 1, 1 FROM (VALUES {row})");
        }

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(
            """broken=,d=,nc=,none=,p=["","alice","ops"],s=["finance"]""",
            await ScalarAsync(connection, "SELECT group_concat(id || '=' || COALESCE(approvers, ''), ',') FROM (SELECT id, approvers FROM hil_approvals ORDER BY id)"));
        Assert.Equal(
            "|p|tenant-a,alice|p|tenant-a,finance|s|,ops|p|tenant-a",
            await ScalarAsync(connection, "SELECT group_concat(approver || '|' || approval_id || '|' || COALESCE(tenant_id, ''), ',') FROM (SELECT * FROM hil_approval_approvers ORDER BY approver, approval_id)"));
        Assert.Equal(["", "alice", "ops"], (await store.GetAsync("p"))!.Approvers!);
        Assert.Equal("p", Assert.Single((await store.ListAsync(new StateQuery { Approver = new Approver("alice") })).Entries).Id);
        Assert.Equal("s,p", string.Join(",", (await store.ListAsync(new StateQuery { Approver = new Approver("x", ["finance"]) })).Entries.Select(e => e.Id).Order(StringComparer.Ordinal).Reverse()));
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = new Approver("x", ["finance"]), TenantId = "tenant-b" })).Entries);

        await new SqliteStateStore(connection).InitializeAsync();
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    [InlineData(true, true, true)]
    public async Task List_ByApprover_ReadsOneIndexRangePerName_AndTheApprovalsByPrimaryKey_WithoutScanning(bool byTenant, bool byConversation, bool afterToken)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);
        await ExecuteAsync(connection, """
            UPDATE hil_approvals SET tenant_id = 'tenant-' || (rowid % 50),
                approvers = CASE WHEN status = 0 THEN json_array('role-' || (rowid % 20), 'user-' || (rowid % 300)) END;
            ANALYZE;
            """);
        Assert.True((long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_approval_approvers"))! > 1000);

        string sql = store.BuildListSql(byConversation, byStatus: true, afterToken, byTenant: byTenant, approvers: 3);
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach ((string name, object value) in new (string, object)[]
        {
            ("@limit", 51), ("@approver0", "user-7"), ("@approver1", "role-7"), ("@approver2", ""), ("@tenant", "tenant-7"), ("@conversation", "conv-7"),
            ("@afterCreated", T0.AddHours(1).ToUnixTimeMilliseconds()), ("@afterId", "apr_003600"),
        })
        {
            command.Parameters.AddWithValue(name, value);
        }

        List<string> plan = [];
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        string text = string.Join(Environment.NewLine, plan);
        string index = byTenant ? "hil_approval_approvers_tenant_created (approver=? AND tenant_id=?" : "hil_approval_approvers_created (approver=?";
        Assert.True(plan.Count(line => line.Replace("COVERING ", "", StringComparison.Ordinal).Contains("SEARCH x USING INDEX " + index, StringComparison.Ordinal)) == 3, text);

        // Each range is read in index order, up to the limit: no sort of a name's rows (only of the few the ranges return).
        Assert.All(plan.Select((line, i) => (line, i)).Where(p => p.line.StartsWith("SEARCH x", StringComparison.Ordinal)), p => Assert.DoesNotContain("TEMP B-TREE", plan[p.i + 1], StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN a", StringComparison.Ordinal) || line.StartsWith("SCAN x", StringComparison.Ordinal));
        Assert.Contains(plan, line => line.StartsWith("SEARCH a USING INDEX sqlite_autoindex_hil_approvals_1 (id=?)", StringComparison.Ordinal));
        Assert.DoesNotContain("status =", sql, StringComparison.Ordinal); // the inbox table holds pending approvals only
    }
}
