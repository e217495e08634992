using HumanInLoop.Internal;
using Microsoft.Data.Sqlite;

namespace HumanInLoop.Sqlite.Tests;

/// <summary>Schema version 7: the deadline order (<see cref="StateOrder.SoonestDeadlineFirst"/>), by index, and the upgrade of a version 6 file.</summary>
public sealed partial class SqliteStateStoreTests
{
    [Fact]
    public async Task Initialize_FileFromSchemaVersion6_GainsTheDeadlineOnEachInboxRow_AndListsByDeadline()
    {
        // Version 6 as released: version 5's tables, then the dialect's step 6 (a released step never changes).
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionFiveSchema);
        SchemaMigration six = new SqliteSchemaDialect(_ => throw new InvalidOperationException(), new StoreTableNames("hil_"), "test", TimeProvider.System).Migration(6);
        foreach (string statement in six.Statements)
        {
            await ExecuteAsync(connection, statement);
        }

        long day = 86_400_000;
        long t0 = T0.ToUnixTimeMilliseconds();
        await ExecuteAsync(connection, $"""
            INSERT INTO hil_schema_version (version, applied_at, description) VALUES (6, 1795000000000, 'version 6');
            INSERT INTO hil_approvals (id, status, tenant_id, approvers, data, conversation_id, created_at, expires_at, updated_at, version) VALUES
            ('late', 0, 'tenant-a', '["alice"]', 'x', NULL, {t0}, {t0 + (3 * day)}, {t0}, 1),
            ('soon', 0, 'tenant-a', '["alice","ops"]', 'x', NULL, {t0 + 60_000}, {t0 + day}, {t0}, 1),
            ('mid', 0, 'tenant-b', '["ops"]', 'x', NULL, {t0 + 120_000}, {t0 + (2 * day)}, {t0}, 1),
            ('done', 1, 'tenant-a', NULL, 'x', NULL, {t0 + 180_000}, {t0 + 3_600_000}, {t0}, 1);
            """);
        Assert.Equal(4L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_approval_approvers"));

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(
            $"alice|late|{t0 + (3 * day)},alice|soon|{t0 + day},ops|mid|{t0 + (2 * day)},ops|soon|{t0 + day}",
            await ScalarAsync(connection, "SELECT group_concat(approver || '|' || approval_id || '|' || expires_at, ',') FROM (SELECT * FROM hil_approval_approvers ORDER BY approver, approval_id)"));
        StateQuery byDeadline = new() { Order = StateOrder.SoonestDeadlineFirst, PageSize = 1 };
        Assert.Equal("soon,mid,late", await ListIdsAsync(store, byDeadline with { Status = ApprovalStatus.Pending }));
        Assert.Equal("soon,late", await ListIdsAsync(store, byDeadline with { Approver = new Approver("alice") }));
        Assert.Equal("soon,mid", await ListIdsAsync(store, byDeadline with { Approver = new Approver("x", ["ops"]) }));

        // The triggers, replaced by the upgrade, keep the deadline of each inbox row: on a new approval, and when one's deadline moves.
        StateEntry late = (await store.GetAsync("late"))!;
        Assert.True(await store.TryUpdateAsync(late with { Version = 2, ExpiresAt = T0.AddHours(6) }, 1));
        Assert.True(await store.TryCreateAsync(late with { Id = "new", Version = 1, ExpiresAt = T0.AddHours(30), Approvers = ["alice"] }));
        Assert.Equal("late,soon,new", await ListIdsAsync(store, byDeadline with { Approver = new Approver("alice") }));

        await new SqliteStateStore(connection).InitializeAsync();
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task List_SoonestDeadlineFirst_ByStatusAndTenant_IsAnIndexRangeSearchWithoutSort(bool byTenant, bool afterToken)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);
        await ExecuteAsync(connection, "UPDATE hil_approvals SET tenant_id = 'tenant-' || (rowid % 50), expires_at = created_at + ((rowid * 7919) % 5000) * 1000; ANALYZE;");

        string sql = store.BuildListSql(byConversation: false, byStatus: true, afterToken, byTenant: byTenant, byDeadline: true);
        List<string> plan = await DeadlinePlanAsync(connection, sql, []);

        string text = string.Join(Environment.NewLine, plan);
        Assert.Contains(byTenant ? "SEARCH a USING INDEX hil_approvals_tenant_status_expires (tenant_id=? AND status=?" : "SEARCH a USING INDEX hil_approvals_status_expires (status=?", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN a", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task List_ByApprover_SoonestDeadlineFirst_ReadsOneDeadlineIndexRangePerName_InIndexOrder(bool byTenant, bool afterToken)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);
        await ExecuteAsync(connection, """
            UPDATE hil_approvals SET tenant_id = 'tenant-' || (rowid % 50), expires_at = created_at + ((rowid * 7919) % 5000) * 1000,
                approvers = CASE WHEN status = 0 THEN json_array('role-' || (rowid % 20), 'user-' || (rowid % 300)) END;
            ANALYZE;
            """);

        string sql = store.BuildListSql(byConversation: false, byStatus: true, afterToken, byTenant: byTenant, approvers: 3, byDeadline: true);
        List<string> plan = await DeadlinePlanAsync(connection, sql, [("@approver0", "user-7"), ("@approver1", "role-7"), ("@approver2", "")]);

        string text = string.Join(Environment.NewLine, plan);
        string index = byTenant ? "hil_approval_approvers_tenant_expires (approver=? AND tenant_id=?" : "hil_approval_approvers_expires (approver=?";
        Assert.True(plan.Count(line => line.Replace("COVERING ", "", StringComparison.Ordinal).Contains("SEARCH x USING INDEX " + index, StringComparison.Ordinal)) == 3, text);

        // Each range is read in index order, up to the limit: no sort of a name's rows (only of the few the ranges return).
        Assert.All(plan.Select((line, i) => (line, i)).Where(p => p.line.StartsWith("SEARCH x", StringComparison.Ordinal)), p => Assert.DoesNotContain("TEMP B-TREE", plan[p.i + 1], StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN a", StringComparison.Ordinal) || line.StartsWith("SCAN x", StringComparison.Ordinal));
        Assert.Contains(plan, line => line.StartsWith("SEARCH a USING INDEX sqlite_autoindex_hil_approvals_1 (id=?)", StringComparison.Ordinal));
    }

    private static async Task<string> ListIdsAsync(SqliteStateStore store, StateQuery query)
    {
        List<string> ids = [];
        string? token = null;
        do
        {
            StatePage page = await store.ListAsync(query with { ContinuationToken = token });
            ids.AddRange(page.Entries.Select(e => e.Id));
            token = page.ContinuationToken;
        }
        while (token is not null);

        return string.Join(",", ids);
    }

    private static async Task<List<string>> DeadlinePlanAsync(string connection, string sql, (string Name, object Value)[] names)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach ((string name, object value) in names.Concat([
            ("@limit", 51), ("@tenant", "tenant-7"), ("@status", 0), ("@afterExpires", T0.AddHours(1).ToUnixTimeMilliseconds()), ("@afterId", "apr_003600")]))
        {
            command.Parameters.AddWithValue(name, value);
        }

        List<string> plan = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }
}
