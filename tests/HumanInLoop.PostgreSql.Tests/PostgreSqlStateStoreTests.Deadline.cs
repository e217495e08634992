using System.Text.RegularExpressions;
using HumanInLoop.Internal;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql.Tests;

/// <summary>Schema version 6: the deadline order (<see cref="StateOrder.SoonestDeadlineFirst"/>), by index, and the upgrade of a version 5 database.</summary>
public sealed partial class PostgreSqlStateStoreTests
{
    [Fact]
    public async Task Initialize_DatabaseFromSchemaVersion5_GainsTheDeadlineOnEachInboxRow_AndListsByDeadline()
    {
        // Version 5 as released: version 4's tables, then the dialect's step 5 (a released step never changes).
        string schema = Schemas.NewSchema();
        await Schemas.ScalarAsync(VersionFourSchema(schema));
        await using (NpgsqlDataSource dataSource = NpgsqlDataSource.Create(Schemas.ConnectionString))
        {
            SchemaMigration five = new PostgreSqlSchemaDialect(dataSource, new StoreTableNames("hil_", schema), "test", TimeProvider.System).Migration(5);
            foreach (string statement in five.Statements)
            {
                await Schemas.ScalarAsync(statement);
            }
        }

        await Schemas.ScalarAsync($"""
            INSERT INTO "{schema}".hil_schema_version (version, applied_at, description) VALUES (5, now(), 'version 5');
            INSERT INTO "{schema}".hil_approvals (id, status, tenant_id, approvers, data, conversation_id, created_at, expires_at, updated_at, version) VALUES
            ('late', 0, 'tenant-a', ARRAY['alice'], 'x', NULL, timestamptz '2026-11-24 12:00:00+00', timestamptz '2026-11-27 12:00:00+00', now(), 1),
            ('soon', 0, 'tenant-a', ARRAY['alice', 'ops'], 'x', NULL, timestamptz '2026-11-24 12:01:00+00', timestamptz '2026-11-25 12:00:00+00', now(), 1),
            ('mid', 0, 'tenant-b', ARRAY['ops'], 'x', NULL, timestamptz '2026-11-24 12:02:00+00', timestamptz '2026-11-26 12:00:00+00', now(), 1),
            ('done', 1, 'tenant-a', NULL, 'x', NULL, timestamptz '2026-11-24 12:03:00+00', timestamptz '2026-11-24 13:00:00+00', now(), 1);
            """);
        Assert.Equal(4L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_approval_approvers"));

        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
        Assert.Equal(
            "alice|late|2026-11-27,alice|soon|2026-11-25,ops|mid|2026-11-26,ops|soon|2026-11-25",
            await Schemas.ScalarAsync($"SELECT string_agg(approver || '|' || approval_id || '|' || to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ',' ORDER BY approver, approval_id) FROM \"{schema}\".hil_approval_approvers"));
        StateQuery byDeadline = new() { Order = StateOrder.SoonestDeadlineFirst, PageSize = 1 };
        Assert.Equal("soon,mid,late", string.Join(",", (await ListEveryPageAsync(store, byDeadline with { Status = ApprovalStatus.Pending })).Select(e => e.Id)));
        Assert.Equal("soon,late", string.Join(",", (await ListEveryPageAsync(store, byDeadline with { Approver = new Approver("alice") })).Select(e => e.Id)));
        Assert.Equal("soon,mid", string.Join(",", (await ListEveryPageAsync(store, byDeadline with { Approver = new Approver("x", ["ops"]) })).Select(e => e.Id)));

        // The trigger, replaced by the upgrade, keeps the deadline of each inbox row when an approval's deadline moves.
        StateEntry late = (await store.GetAsync("late"))!;
        Assert.True(await store.TryUpdateAsync(late with { Version = 2, ExpiresAt = new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero) }, 1));
        Assert.Equal("late,soon", string.Join(",", (await ListEveryPageAsync(store, byDeadline with { Approver = new Approver("alice") })).Select(e => e.Id)));

        await Schemas.NewStore(schema).InitializeAsync();
        Assert.Equal(6L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_schema_version"));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task List_SoonestDeadlineFirst_ByStatusAndTenant_IsAnIndexRangeScanWithoutSort(bool byTenant, bool afterToken)
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await SeedAsync(store, schema, 20_000);
        await Schemas.ScalarAsync($"""
            UPDATE "{schema}".hil_approvals SET tenant_id = 'tenant-' || (substr(id, 5)::int % 2),
                expires_at = timestamptz '2026-11-25 12:00:00+00' + ((substr(id, 5)::int * 7919) % 20000) * interval '1 second';
            ANALYZE "{schema}".hil_approvals;
            """);

        string sql = store.BuildListSql(byConversation: false, byStatus: true, afterToken, byTenant: byTenant, byDeadline: true);
        List<object> parameters = [51];
        parameters.AddRange(byTenant ? ["tenant-1"] : []);
        parameters.Add((short)0);
        parameters.AddRange(afterToken ? [T0.AddDays(1).AddSeconds(10_000), "apr_010000"] : []);
        string plan = await ExplainDeadlineAsync(sql, parameters);

        Assert.Matches(byTenant ? "Index Scan using hil_approvals_tenant_status_expires " : "Index Scan using hil_approvals_status_expires ", plan);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        Assert.Contains("ORDER BY expires_at, id", sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task List_ByApprover_SoonestDeadlineFirst_ReadsOneDeadlineIndexRangePerName_AndTheApprovalsByPrimaryKey(bool byTenant, bool afterToken)
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await SeedAsync(store, schema, 20_000);
        await Schemas.ScalarAsync($"""
            UPDATE "{schema}".hil_approvals SET tenant_id = 'tenant-' || (substr(id, 5)::int % 2),
                expires_at = timestamptz '2026-11-25 12:00:00+00' + ((substr(id, 5)::int * 7919) % 20000) * interval '1 second',
                approvers = CASE WHEN status = 0 THEN ARRAY['role-' || (substr(id, 5)::int % 2), 'user-' || (substr(id, 5)::int % 300)] END;
            ANALYZE "{schema}".hil_approvals;
            ANALYZE "{schema}".hil_approval_approvers;
            """);

        string sql = store.BuildListSql(byConversation: false, byStatus: false, afterToken, byTenant: byTenant, approvers: 3, byDeadline: true);
        List<object> parameters = [51];
        parameters.AddRange(byTenant ? ["tenant-1"] : []);
        parameters.AddRange(afterToken ? [T0.AddDays(1).AddSeconds(10_000), "apr_010000"] : []);
        parameters.AddRange(["user-7", "role-1", ""]);
        string plan = await ExplainDeadlineAsync(sql, parameters);

        // As for the newest-first inbox, a name with few rows (user-7, '') may be fetched by bitmap and sorted; never the table.
        List<string> lines = [.. plan.Split(Environment.NewLine)];
        string index = byTenant ? "hil_approval_approvers_tenant_expires" : "hil_approval_approvers_(tenant_)?expires";
        Assert.True(lines.Count(line => Regex.IsMatch(line, $"(Index( Only)? Scan using|Bitmap Index Scan on) {index} ")) == 3, plan);
        Assert.DoesNotContain("_created", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        Assert.Contains("hil_approvals_pkey", plan, StringComparison.Ordinal);

        // A name with many rows (role-1: about 1,400) is walked in deadline order up to the limit: an index scan under the limit, no sort.
        int role = lines.FindIndex(line => line.Contains("(approver = 'role-1'::text)", StringComparison.Ordinal) && line.Contains("Index Cond", StringComparison.Ordinal));
        Assert.True(role >= 2, plan);
        Assert.Matches($"Index (Only )?Scan using {index} on hil_approval_approvers", lines[role - 1]);
        Assert.Contains("Limit", lines[role - 2], StringComparison.Ordinal);
    }

    private static async Task<List<StateEntry>> ListEveryPageAsync(PostgreSqlStateStore store, StateQuery query)
    {
        List<StateEntry> all = [];
        string? token = null;
        do
        {
            StatePage page = await store.ListAsync(query with { ContinuationToken = token });
            all.AddRange(page.Entries);
            token = page.ContinuationToken;
        }
        while (token is not null);

        return all;
    }

    private async Task<string> ExplainDeadlineAsync(string sql, List<object> parameters)
    {
        await using NpgsqlConnection connection = new(Schemas.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new("EXPLAIN " + sql, connection);
        foreach (object value in parameters)
        {
            command.Parameters.Add(value switch
            {
                int limit => new NpgsqlParameter<int> { TypedValue = limit },
                short status => new NpgsqlParameter<short> { TypedValue = status },
                DateTimeOffset at => new NpgsqlParameter<DateTimeOffset> { TypedValue = at, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                _ => new NpgsqlParameter<string> { TypedValue = (string)value, NpgsqlDbType = NpgsqlDbType.Text },
            });
        }

        List<string> lines = [];
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
