using HumanInLoop.Sqlite;
using HumanInLoop.StoreTesting;
using HumanInLoop.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HumanInLoop.Sqlite.Tests;

public sealed partial class SqliteStateStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Initialize_CreatesTablesInWalModeAndRecordsSchemaVersion()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);

        await store.InitializeAsync();

        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
        Assert.Equal(7, SqliteStateStore.SchemaVersion);
        foreach (string table in new[] { "hil_approvals", "hil_approval_history", "hil_audit_archive", "hil_schema_version", "hil_call_records", "hil_grants" })
        {
            Assert.Equal(1L, await ScalarAsync(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"));
        }

        Assert.Equal(1L, await ScalarAsync(connection, HistoryColumnIsNullableText));
        Assert.Equal(2L, await ScalarAsync(connection, HistoryTableIsKeyedByApproval));
    }

    [Fact]
    public async Task Initialize_FileFromSchemaVersion1_IsUpgradedInPlace_AndItsRowsReadExactly()
    {
        string connection = _files.NewConnectionString();
        await ExecuteAsync(connection, VersionOneSchema);
        await using (SqliteConnection db = new(connection))
        {
            await db.OpenAsync();
            await using SqliteCommand insert = db.CreateCommand();
            insert.CommandText = """
                INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data)
                VALUES (@id, @conversation, @status, @created, @expires, @updated, @version, @data)
                """;
            insert.Parameters.AddWithValue("@id", VersionOneRow.Id);
            insert.Parameters.AddWithValue("@conversation", VersionOneRow.ConversationId);
            insert.Parameters.AddWithValue("@status", (int)VersionOneRow.Status);
            insert.Parameters.AddWithValue("@created", VersionOneRow.CreatedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("@expires", VersionOneRow.ExpiresAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("@updated", VersionOneRow.UpdatedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("@version", VersionOneRow.Version);
            insert.Parameters.AddWithValue("@data", VersionOneRow.Data);
            await insert.ExecuteNonQueryAsync();
        }

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal("approvals: history column (the conversation, written once)", await ScalarAsync(connection, "SELECT description FROM hil_schema_version WHERE version = 2"));
        Assert.Equal(1L, await ScalarAsync(connection, HistoryColumnIsNullableText));
        Assert.Equal(1L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_approvals WHERE history IS NULL"));
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_approval_history"));
        await VersionOneRow.AssertUpgradedStoreAsync(store);

        await new SqliteStateStore(connection).InitializeAsync();
        Assert.Equal(7L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_schema_version"));
    }

    [Fact]
    public async Task Initialize_FileFromSchemaVersion2_KeepsEachRowAsItWas_AndRowsReadExactly()
    {
        string connection = _files.NewConnectionString();
        StateEntry apart = Entry("apart") with { History = """[{"role":"user","contents":[{"$type":"text","text":"é ✓ 𝄞"}]}]""" };
        await ExecuteAsync(connection, VersionTwoSchema);

        SchemaTwoProcessStore old = new(connection);
        Assert.True(await old.TryCreateAsync(apart));
        Assert.True(await old.TryCreateAsync(Entry("whole")));

        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        // Nothing moves: a process still at version 2 keeps reading the rows it wrote (SqliteStateStoreTests.SchemaTwoProcess.cs).
        Assert.Equal(apart.History, await ScalarAsync(connection, "SELECT history FROM hil_approvals WHERE id = 'apart'"));
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT COUNT(*) FROM hil_approval_history"));
        Assert.Equal(apart, await store.GetAsync("apart"));
        Assert.Null((await store.GetAsync("whole"))!.History);
        Assert.Equal(apart.History, (await store.ListAsync(new StateQuery())).Entries.Single(e => e.Id == "apart").History);
    }

    [Fact]
    public async Task Get_RowAProcessOfSchemaVersion2WroteAfterTheUpgrade_IsReadWithItsConversation()
    {
        // A process that started before another one upgraded the file still writes the conversation into approvals.history.
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await store.InitializeAsync();
        StateEntry written = Entry("late") with { History = "[]" };
        Assert.True(await new SchemaTwoProcessStore(connection).TryCreateAsync(written));

        Assert.Equal(written, await store.GetAsync("late"));
        Assert.Equal("[]", (await store.GetAsync("late"))!.History);
        Assert.Equal("[]", Assert.Single((await store.ListAsync(new StateQuery())).Entries).History);
        Assert.True(await store.TryUpdateAsync(Entry("late", status: ApprovalStatus.Decided) with { Version = 2 }, expectedVersion: 1));
        Assert.Equal("[]", (await store.GetAsync("late"))!.History);
    }

    [Fact]
    public async Task Update_WritesOnlyTheRecord_NotTheConversationBesideIt()
    {
        // SQLite rewrites a whole row on update: with the conversation in the approvals row, each of an approval's five changes
        // appended every page of it to the write-ahead log again. In a table of its own it is written once.
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await store.InitializeAsync();

        // SQLite deletes the log when the file's last connection closes, and other tests clear the connection pools at any moment:
        // a connection of the test's own, outside the pool, keeps the log in place while it is measured.
        await using SqliteConnection keeper = new(connection + ";Pooling=False");
        await keeper.OpenAsync();
        string history = "[" + string.Join(",", Enumerable.Repeat("""{"role":"user","contents":[{"$type":"text","text":"Transfer 500 to bob, then tell me the balance."}]}""", 3000)) + "]";
        Assert.True(history.Length > 250_000);
        Assert.True(await store.TryCreateAsync(Entry("long") with { History = history }));
        string wal = new SqliteConnectionStringBuilder(connection).DataSource + "-wal";
        Assert.Equal(0L, await ScalarAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)"));
        Assert.Equal(0, new FileInfo(wal).Length);

        Assert.True(await store.TryUpdateAsync(Entry("long", status: ApprovalStatus.Decided) with { Version = 2, Data = "{\"id\":\"long\",\"decided\":true}" }, expectedVersion: 1));

        long appended = new FileInfo(wal).Length;
        Assert.InRange(appended, 1, 64 * 1024);
        Assert.Equal(history, (await store.GetAsync("long"))!.History);
    }

    [Fact]
    public async Task Purge_DeletesEachConversationWithItsApproval()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        Assert.True(await store.TryCreateAsync(Entry("done") with { History = "[]" }));
        Assert.True(await store.TryCreateAsync(Entry("open") with { History = "[]" }));
        Assert.True(await store.TryUpdateAsync(Entry("done", status: ApprovalStatus.Completed) with { Version = 2 }, expectedVersion: 1));

        Assert.Equal(1, await store.PurgeAsync(T0.AddMinutes(1), keepAuditTrail: false));

        Assert.Equal("open", await ScalarAsync(connection, "SELECT group_concat(approval_id) FROM hil_approval_history"));
        Assert.Equal("[]", (await store.GetAsync("open"))!.History);
    }

    [Fact]
    public async Task Initialize_ManyStoresAtOnceOnANewFile_CreateTheSchemaOnceAndAllWork()
    {
        string connection = _files.NewConnectionString();

        // Each store has its own connection pool (different connection string text), as separate processes would.
        SqliteStateStore[] stores = [.. Enumerable.Range(0, 12).Select(i => new SqliteStateStore($"{connection};Default Timeout={30 + i}"))];
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync())));
        bool[] created = await Task.WhenAll(stores.Select((s, i) => s.TryCreateAsync(Entry($"a{i}"))));

        Assert.All(created, Assert.True);
        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
        Assert.Equal(12, (await stores[0].ListAsync(new StateQuery())).Entries.Count);
    }

    [Fact]
    public async Task Initialize_Again_IsIdempotentAndKeepsData()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore first = new(connection);
        await first.TryCreateAsync(Entry("kept"));

        SqliteStateStore second = new(connection);
        await second.InitializeAsync();
        await second.InitializeAsync();

        Assert.NotNull(await second.GetAsync("kept"));
        Assert.Equal("1,2,3,4,5,6,7", await ScalarAsync(connection, AppliedVersions));
    }

    [Fact]
    public async Task Initialize_FileFromANewerSchemaVersion_IsRefusedWithAClearError()
    {
        string connection = _files.NewConnectionString();
        await new SqliteStateStore(connection).InitializeAsync();
        await ScalarAsync(connection, "INSERT INTO hil_schema_version (version, applied_at, description) VALUES (99, 0, 'from the future')");

        SqliteStateStore store = new(connection);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("supports up to version 7", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade the HumanInLoop.Sqlite package", error.Message, StringComparison.Ordinal);

        // Every operation refuses too, rather than guessing at a schema it does not know.
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetAsync("x"));
    }

    [Fact]
    public async Task TablePrefix_LetsTwoStoresShareOneFile()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore a = new(new SqliteStateStoreOptions { ConnectionString = connection, TablePrefix = "tenant_a_" });
        SqliteStateStore b = new(new SqliteStateStoreOptions { ConnectionString = connection, TablePrefix = "tenant_b_" });

        await a.TryCreateAsync(Entry("x"));

        Assert.NotNull(await a.GetAsync("x"));
        Assert.Null(await b.GetAsync("x"));
        Assert.Equal(1L, await ScalarAsync(connection, "SELECT COUNT(*) FROM tenant_a_approvals"));
    }

    [Theory]
    [InlineData("", "ConnectionString is required")]
    [InlineData("   ", "ConnectionString is required")]
    [InlineData("Data Source=x.db;Flavour=Strawberry", "is not a valid SQLite connection string")]
    [InlineData("Data Source=x.db;Mode=Banana", "is not a valid SQLite connection string")]
    [InlineData("Mode=ReadWriteCreate", "names no database file")]
    [InlineData("Data Source=:memory:", "in-memory database")]
    [InlineData("Data Source=x;Mode=Memory", "in-memory database")]
    [InlineData("Data Source=x.db;Mode=ReadOnly", "read-only")]
    public void Options_InvalidConnectionString_IsRefusedWithAClearMessage(string connectionString, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new SqliteStateStore(connectionString));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad-prefix", "TablePrefix 'bad-prefix' is not valid")]
    [InlineData("1abc", "TablePrefix '1abc' is not valid")]
    [InlineData("x\"; DROP TABLE y; --", "is not valid")]
    public void Options_InvalidTablePrefix_IsRefused(string prefix, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = "Data Source=x.db", TablePrefix = prefix }));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NonPositiveBusyTimeout_IsRefused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new SqliteStateStore(new SqliteStateStoreOptions { ConnectionString = "Data Source=x.db", BusyTimeout = TimeSpan.Zero }));
        Assert.Contains("BusyTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_DirectoryMissing_SaysWhichFileCannotBeOpened()
    {
        string path = Path.Combine(_files.Directory, "no-such-dir", "approvals.db");
        SqliteStateStore store = new($"Data Source={path}");

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains($"Cannot open the SQLite database '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("directory exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_FileThatIsNotADatabase_IsRefusedWithAClearError()
    {
        string path = Path.Combine(_files.Directory, "notes.txt");
        await File.WriteAllTextAsync(path, new string('z', 4096));
        SqliteStateStore store = new($"Data Source={path}");

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_AreStoredAsWholeUnixMilliseconds()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        DateTimeOffset created = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        await store.TryCreateAsync(new StateEntry("t", null, ApprovalStatus.Pending, created, created.AddDays(3), created, 1, "{}"));

        Assert.Equal("integer", await ScalarAsync(connection, "SELECT typeof(created_at) FROM hil_approvals"));
        Assert.Equal(1_795_000_000_123L, await ScalarAsync(connection, "SELECT created_at FROM hil_approvals"));
        Assert.Equal(created, (await store.GetAsync("t"))!.CreatedAt);
        Assert.Equal(TimeSpan.Zero, (await store.GetAsync("t"))!.CreatedAt.Offset);
    }

    public static TheoryData<bool, bool, bool> ListShapes => new()
    {
        { false, false, false }, { false, false, true }, { true, false, false }, { true, false, true },
        { false, true, false }, { false, true, true }, { true, true, false }, { true, true, true },
    };

    [Theory]
    [MemberData(nameof(ListShapes))]
    public async Task List_EveryFilterAndPage_IsServedByAnIndexWithoutSortingOrScanningTheTable(bool byConversation, bool byStatus, bool afterToken)
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);

        string sql = store.BuildListSql(byConversation, byStatus, afterToken);
        string plan = await QueryPlanAsync(connection, sql, byConversation, byStatus, afterToken);

        // The approvals are read through a listing index (a is their alias), each one's conversation by its key (h).
        Assert.Matches("(SEARCH|SCAN) a USING (COVERING )?INDEX hil_approvals_", plan);
        Assert.Contains("SEARCH h USING INDEX sqlite_autoindex_hil_approval_history_1 (approval_id=?)", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.DoesNotMatch("SCAN (a|h)$", plan);
        if (byConversation || byStatus)
        {
            Assert.StartsWith("SEARCH", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task List_AfterSeeding_PagesNewestFirstThroughTheIndex()
    {
        string connection = _files.NewConnectionString();
        SqliteStateStore store = new(connection);
        await SeedAsync(connection, store, 5000);

        StatePage first = await store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 3 });
        StatePage second = await store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 3, ContinuationToken = first.ContinuationToken });

        StateEntry[] all = [.. first.Entries, .. second.Entries];
        Assert.All(all, e => Assert.Equal(ApprovalStatus.Pending, e.Status));
        Assert.Equal(all.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal), all);
    }

    [Fact]
    public void AddHumanInLoopSqlite_AfterAddHumanInLoop_ReplacesTheInMemoryStore()
    {
        ServiceCollection services = new();
        services.AddHumanInLoop();
        services.AddHumanInLoopSqlite(_files.NewConnectionString());
        using ServiceProvider provider = services.BuildServiceProvider();

        SqliteStateStore store = provider.GetRequiredService<SqliteStateStore>();
        Assert.Same(store, provider.GetRequiredService<IStateStore>());
        Assert.Same(store, provider.GetRequiredService<IPurgeableStateStore>());
        Assert.Same(store, provider.GetRequiredService<ApprovalService>().Store);
        Assert.Single(services, d => d.ServiceType == typeof(IStateStore));
    }

    [Fact]
    public void AddHumanInLoopSqlite_BeforeAddHumanInLoop_IsKept()
    {
        ServiceCollection services = new();
        services.AddHumanInLoopSqlite(o => { o.ConnectionString = _files.NewConnectionString(); o.TablePrefix = "app_"; });
        services.AddHumanInLoop();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.IsType<SqliteStateStore>(provider.GetRequiredService<ApprovalService>().Store);
        Assert.Single(services, d => d.ServiceType == typeof(IStateStore));
    }

    [Fact]
    public void AddHumanInLoopSqlite_InvalidOptions_FailsAtRegistration()
    {
        ServiceCollection services = new();
        ArgumentException error = Assert.Throws<ArgumentException>(() => services.AddHumanInLoopSqlite("Data Source=:memory:"));
        Assert.Contains("in-memory", error.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }

    private static StateEntry Entry(string id, string? conversation = "c1", ApprovalStatus status = ApprovalStatus.Pending, int minutes = 0) =>
        new(id, conversation, status, T0.AddMinutes(minutes), T0.AddDays(3), T0.AddMinutes(minutes), 1, $$"""{"id":"{{id}}"}""");

    private static async Task SeedAsync(string connection, SqliteStateStore store, int count)
    {
        await store.InitializeAsync();
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteTransaction transaction = db.BeginTransaction();
        await using SqliteCommand insert = db.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data) VALUES (@id, @c, @s, @t, @t, @t, 1, '{}')";
        SqliteParameter id = insert.Parameters.Add("@id", SqliteType.Text);
        SqliteParameter conversation = insert.Parameters.Add("@c", SqliteType.Text);
        SqliteParameter status = insert.Parameters.Add("@s", SqliteType.Integer);
        SqliteParameter time = insert.Parameters.Add("@t", SqliteType.Integer);
        for (int i = 0; i < count; i++)
        {
            id.Value = $"apr_{i:D6}";
            conversation.Value = $"conv-{i % 500}";
            status.Value = i % 7;
            time.Value = T0.ToUnixTimeMilliseconds() + (i * 1000L);
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        await using SqliteCommand analyze = db.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task<string> QueryPlanAsync(string connection, string sql, bool byConversation, bool byStatus, bool afterToken)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("@limit", 51);
        if (byConversation)
        {
            command.Parameters.AddWithValue("@conversation", "conv-7");
        }

        if (byStatus)
        {
            command.Parameters.AddWithValue("@status", 0);
        }

        if (afterToken)
        {
            command.Parameters.AddWithValue("@afterCreated", T0.ToUnixTimeMilliseconds() + 2_500_000);
            command.Parameters.AddWithValue("@afterId", "apr_002500");
        }

        List<string> lines = [];
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private const string AppliedVersions = "SELECT group_concat(version, ',') FROM (SELECT version FROM hil_schema_version ORDER BY version)";

    private const string HistoryTableIsKeyedByApproval =
        "SELECT COUNT(*) FROM pragma_table_info('hil_approval_history') WHERE (name = 'approval_id' AND pk = 1 AND type = 'TEXT') OR (name = 'history' AND \"notnull\" = 1 AND type = 'TEXT')";

    private const string HistoryColumnIsNullableText =
        "SELECT COUNT(*) FROM pragma_table_info('hil_approvals') WHERE name = 'history' AND type = 'TEXT' AND \"notnull\" = 0 AND dflt_value IS NULL";

    /// <summary>The tables as schema version 1 created them (SqliteSchemaDialect.cs, Migration(1), never changed), recorded as version 1.</summary>
    private const string VersionOneSchema = """
        CREATE TABLE hil_schema_version (
            version INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL,
            description TEXT NOT NULL);
        CREATE TABLE "hil_approvals" (
            id TEXT NOT NULL PRIMARY KEY,
            conversation_id TEXT NULL,
            status INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL);
        CREATE INDEX "hil_approvals_created" ON "hil_approvals" (created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_status_created" ON "hil_approvals" (status, created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_conversation_created" ON "hil_approvals" (conversation_id, created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_status_updated" ON "hil_approvals" (status, updated_at);
        CREATE TABLE "hil_audit_archive" (
            approval_id TEXT NOT NULL PRIMARY KEY,
            conversation_id TEXT NULL,
            final_status INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            archived_at INTEGER NOT NULL,
            audit_trail TEXT NOT NULL);
        CREATE INDEX "hil_audit_archive_archived" ON "hil_audit_archive" (archived_at);
        INSERT INTO hil_schema_version (version, applied_at, description) VALUES (1, 1795000000000, 'approvals, audit archive, listing and purge indexes');
        """;

    /// <summary>The tables as schema version 2 left them: version 1 and a nullable history column.</summary>
    private const string VersionTwoSchema = VersionOneSchema + """
        ALTER TABLE "hil_approvals" ADD COLUMN history TEXT NULL;
        INSERT INTO hil_schema_version (version, applied_at, description) VALUES (2, 1795000000000, 'approvals: history column (the conversation, written once)');
        """;

    private static async Task<object?> ScalarAsync(string connection, string sql)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs <paramref name="sql"/> (a schema an older release created, say) on a connection of its own.</summary>
    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using SqliteConnection db = new(connection);
        await db.OpenAsync();
        await using SqliteCommand command = db.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
