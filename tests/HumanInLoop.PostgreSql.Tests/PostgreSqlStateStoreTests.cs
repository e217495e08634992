using HumanInLoop.StoreTesting;
using HumanInLoop.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace HumanInLoop.PostgreSql.Tests;

public sealed partial class PostgreSqlStateStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private PostgresSchemas? _schemas;

    private PostgresSchemas Schemas => _schemas ??= new PostgresSchemas();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_schemas is not null)
        {
            await _schemas.DisposeAsync();
        }
    }

    [Fact]
    public async Task Initialize_CreatesSchemaTablesAndRecordsSchemaVersion()
    {
        string schema = Schemas.NewSchema();
        await Schemas.NewStore(schema).InitializeAsync();

        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
        Assert.Equal(6L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_schema_version"));
        Assert.Equal(6, PostgreSqlStateStore.SchemaVersion);
        Assert.Equal(5L, await Schemas.ScalarAsync(
            $"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{schema}' AND table_name IN ('hil_approvals', 'hil_audit_archive', 'hil_schema_version', 'hil_call_records', 'hil_grants')"));
    }

    [Fact]
    public async Task Update_KeepsTheConversationWhereItIs_NotRewrittenWithTheRecord()
    {
        // PostgreSQL keeps a long value out of line (TOAST) and an update that does not set it copies only its pointer; this is
        // why its schema keeps the conversation in the approvals row (SQLite, which rewrites whole rows, moved it to a table).
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        string noise = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(192 * 1024)); // does not compress
        string history = $$"""[{"role":"user","contents":[{"$type":"text","text":"{{noise}}"}]}]""";
        Assert.True(await store.TryCreateAsync(Entry("long") with { History = history }));
        string size = $"SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = '\"{schema}\".hil_approvals'::regclass";
        long before = (long)(await Schemas.ScalarAsync(size))!;

        Assert.True(await store.TryUpdateAsync(Entry("long") with { Status = ApprovalStatus.Decided, Version = 2, Data = "{\"id\":\"long\",\"decided\":true}" }, expectedVersion: 1));

        // Rewritten, the value would take another 256 KB of the TOAST table (the old copy stays until a vacuum).
        Assert.InRange(before, history.Length, 2 * history.Length);
        Assert.Equal(before, await Schemas.ScalarAsync(size));
        Assert.Equal(history, (await store.GetAsync("long"))!.History);
    }

    [Fact]
    public async Task DataColumn_IsTextNotJsonb_AndTimesAreTimestamptz()
    {
        string schema = Schemas.NewSchema();
        await Schemas.NewStore(schema).InitializeAsync();

        Assert.Equal("text", await Schemas.ScalarAsync(
            $"SELECT data_type FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'hil_approvals' AND column_name = 'data'"));
        Assert.Equal("timestamp with time zone", await Schemas.ScalarAsync(
            $"SELECT data_type FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'hil_approvals' AND column_name = 'created_at'"));
        Assert.Equal("text|YES|", await Schemas.ScalarAsync(HistoryColumn(schema)));
    }

    [Fact]
    public async Task Initialize_DatabaseFromSchemaVersion1_IsUpgradedInPlace_AndItsRowsReadExactly()
    {
        string schema = Schemas.NewSchema();
        await using (NpgsqlConnection db = new(Schemas.ConnectionString))
        {
            await db.OpenAsync();
            await using (NpgsqlCommand create = new(VersionOneSchema(schema), db))
            {
                await create.ExecuteNonQueryAsync();
            }

            await using NpgsqlCommand insert = new($"""
                INSERT INTO "{schema}".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, db);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = VersionOneRow.Id, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = VersionOneRow.ConversationId, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)VersionOneRow.Status });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = VersionOneRow.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = VersionOneRow.ExpiresAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = VersionOneRow.UpdatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = VersionOneRow.Version });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = VersionOneRow.Data, NpgsqlDbType = NpgsqlDbType.Text });
            await insert.ExecuteNonQueryAsync();
        }

        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await store.InitializeAsync();

        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
        Assert.Equal("approvals: history column (the conversation, written once)", await Schemas.ScalarAsync($"SELECT description FROM \"{schema}\".hil_schema_version WHERE version = 2"));
        Assert.Equal("text|YES|", await Schemas.ScalarAsync(HistoryColumn(schema)));
        Assert.Equal(1L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_approvals WHERE history IS NULL"));
        await VersionOneRow.AssertUpgradedStoreAsync(store);

        await Schemas.NewStore(schema).InitializeAsync();
        Assert.Equal(6L, await Schemas.ScalarAsync($"SELECT COUNT(*) FROM \"{schema}\".hil_schema_version"));
    }

    [Fact]
    public async Task Initialize_ManyStoresAtOnce_CreateTheSchemaOnceAndAllWork()
    {
        string schema = Schemas.NewSchema();

        // Each store has its own data source, as separate servers would; they race to create the same schema.
        PostgreSqlStateStore[] stores = [.. Enumerable.Range(0, 8).Select(_ => Schemas.NewStore(schema, PostgresEnvironment.Require(maxPoolSize: 3)))];
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.InitializeAsync())));
        bool[] created = await Task.WhenAll(stores.Select((s, i) => s.TryCreateAsync(Entry($"a{i}"))));

        Assert.All(created, Assert.True);
        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
        Assert.Equal(8, (await stores[0].ListAsync(new StateQuery())).Entries.Count);
    }

    [Fact]
    public async Task Initialize_Again_IsIdempotentAndKeepsData()
    {
        string schema = Schemas.NewSchema();
        await Schemas.NewStore(schema).TryCreateAsync(Entry("kept"));

        PostgreSqlStateStore second = Schemas.NewStore(schema);
        await second.InitializeAsync();
        await second.InitializeAsync();

        Assert.NotNull(await second.GetAsync("kept"));
        Assert.Equal("1,2,3,4,5,6", await Schemas.ScalarAsync(AppliedVersions(schema)));
    }

    [Fact]
    public async Task Initialize_DatabaseFromANewerSchemaVersion_IsRefusedWithAClearError()
    {
        string schema = Schemas.NewSchema();
        await Schemas.NewStore(schema).InitializeAsync();
        await Schemas.ScalarAsync($"INSERT INTO \"{schema}\".hil_schema_version (version, applied_at, description) VALUES (99, now(), 'from the future')");

        PostgreSqlStateStore store = Schemas.NewStore(schema);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("supports up to version 6", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade the HumanInLoop.PostgreSql package", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetAsync("x"));
    }

    [Fact]
    public async Task Initialize_UnreachableServer_SaysWhichServer()
    {
        PostgreSqlStateStore store = Schemas.Track(new PostgreSqlStateStore("Host=127.0.0.1;Port=1;Username=nobody;Password=secret-value;Database=none;Timeout=3"));

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("Cannot reach the PostgreSQL server at 127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_WrongPassword_SaysTheLoginWasRefused()
    {
        string connection = new NpgsqlConnectionStringBuilder(Schemas.ConnectionString) { Password = "wrong-password" }.ToString();
        PostgreSqlStateStore store = Schemas.NewStore(connectionString: connection);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("refused the login", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_MissingDatabase_SaysToCreateIt()
    {
        string connection = new NpgsqlConnectionStringBuilder(Schemas.ConnectionString) { Database = "no_such_database_hil" }.ToString();
        PostgreSqlStateStore store = Schemas.NewStore(connectionString: connection);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("CREATE DATABASE", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "ConnectionString is required")]
    [InlineData("Host=localhost;Flavour=Strawberry", "is not a valid Npgsql connection string")]
    [InlineData("Host=localhost;Port=notanumber", "is not a valid Npgsql connection string")]
    [InlineData("Database=app;Username=app", "names no server")]
    public void Options_InvalidConnectionString_IsRefusedWithAClearMessage(string connectionString, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new PostgreSqlStateStore(connectionString));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "hil_", "Schema '' is not valid")]
    [InlineData("my-schema", "hil_", "Schema 'my-schema' is not valid")]
    [InlineData("public", "x\"; DROP TABLE y; --", "TablePrefix")]
    public void Options_InvalidSchemaOrPrefix_IsRefused(string schema, string prefix, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            new PostgreSqlStateStore(new PostgreSqlStateStoreOptions { ConnectionString = "Host=localhost", Schema = schema, TablePrefix = prefix }));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_GivenDataSource_IsUsedAndNotDisposed()
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(Schemas.ConnectionString);
        PostgreSqlStateStore store = new(new PostgreSqlStateStoreOptions { DataSource = dataSource, Schema = Schemas.NewSchema() });
        await store.TryCreateAsync(Entry("d"));
        await store.DisposeAsync();

        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT 1");
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Times_KeepWholeMillisecondsExactly()
    {
        PostgreSqlStateStore store = Schemas.NewStore();
        DateTimeOffset created = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        await store.TryCreateAsync(new StateEntry("t", null, ApprovalStatus.Pending, created, created.AddDays(3), created.AddMilliseconds(1), 1, "{}"));

        StateEntry read = (await store.GetAsync("t"))!;
        Assert.Equal(created, read.CreatedAt);
        Assert.Equal(created.AddMilliseconds(1), read.UpdatedAt);
        Assert.Equal(TimeSpan.Zero, read.CreatedAt.Offset);
    }

    public static TheoryData<bool, bool, bool> ListShapes => new()
    {
        { false, false, false }, { false, false, true }, { true, false, false }, { true, false, true },
        { false, true, false }, { false, true, true }, { true, true, false }, { true, true, true },
    };

    [Theory]
    [MemberData(nameof(ListShapes))]
    public async Task List_EveryFilterAndPage_IsAnIndexScanWithoutSortOrSeqScan(bool byConversation, bool byStatus, bool afterToken)
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await SeedAsync(store, schema, 20_000);

        string plan = await ExplainAsync(store.BuildListSql(byConversation, byStatus, afterToken), byConversation, byStatus, afterToken);

        Assert.Matches("Index Scan (Backward )?using hil_approvals_|Bitmap Index Scan on hil_approvals_", plan);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        if (!byConversation)
        {
            // The index gives the order, so only the first page is read. (A conversation holds few approvals, so the planner
            // may fetch them all through its index and sort that handful instead; either way the table is not scanned.)
            Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
            Assert.Contains("Index Scan", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task List_ByALargeConversation_ReadsOnlyThePageInIndexOrder()
    {
        string schema = Schemas.NewSchema();
        PostgreSqlStateStore store = Schemas.NewStore(schema);
        await SeedAsync(store, schema, 20_000);
        await Schemas.ScalarAsync($"UPDATE \"{schema}\".hil_approvals SET conversation_id = 'conv-7' WHERE id < 'apr_005000'; ANALYZE \"{schema}\".hil_approvals;");

        string plan = await ExplainAsync(store.BuildListSql(byConversation: true, byStatus: false, afterToken: true), true, false, true);

        Assert.Matches("Index Scan (Backward )?using hil_approvals_conversation_created", plan);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddHumanInLoopPostgreSql_AfterAddHumanInLoop_ReplacesTheInMemoryStore()
    {
        ServiceCollection services = new();
        services.AddHumanInLoop();
        services.AddHumanInLoopPostgreSql(o => { o.ConnectionString = Schemas.ConnectionString; o.Schema = Schemas.NewSchema(); });
        await using ServiceProvider provider = services.BuildServiceProvider();

        PostgreSqlStateStore store = provider.GetRequiredService<PostgreSqlStateStore>();
        Assert.Same(store, provider.GetRequiredService<IStateStore>());
        Assert.Same(store, provider.GetRequiredService<IPurgeableStateStore>());
        Assert.Same(store, provider.GetRequiredService<ApprovalService>().Store);
        Assert.Single(services, d => d.ServiceType == typeof(IStateStore));
        Assert.True(await store.TryCreateAsync(Entry("di")));
    }

    [Fact]
    public void AddHumanInLoopPostgreSql_BeforeAddHumanInLoop_IsKept()
    {
        ServiceCollection services = new();
        services.AddHumanInLoopPostgreSql(Schemas.ConnectionString);
        services.AddHumanInLoop();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.IsType<PostgreSqlStateStore>(provider.GetRequiredService<ApprovalService>().Store);
        Assert.Single(services, d => d.ServiceType == typeof(IStateStore));
    }

    [Fact]
    public void AddHumanInLoopPostgreSql_InvalidOptions_FailsAtRegistration()
    {
        ServiceCollection services = new();
        ArgumentException error = Assert.Throws<ArgumentException>(() => services.AddHumanInLoopPostgreSql("Username=app"));
        Assert.Contains("names no server", error.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }

    private static string AppliedVersions(string schema) => $"SELECT string_agg(version::text, ',' ORDER BY version) FROM \"{schema}\".hil_schema_version";

    private static string HistoryColumn(string schema) =>
        $"SELECT data_type || '|' || is_nullable || '|' || COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'hil_approvals' AND column_name = 'history'";

    /// <summary>The schema and tables as schema version 1 created them (PostgreSqlSchemaDialect.cs, Migration(1), never changed), recorded as version 1.</summary>
    private static string VersionOneSchema(string schema) => $"""
        CREATE SCHEMA "{schema}";
        CREATE TABLE "{schema}".hil_schema_version (
            version integer NOT NULL PRIMARY KEY,
            applied_at timestamptz NOT NULL,
            description text NOT NULL);
        CREATE TABLE "{schema}"."hil_approvals" (
            id text COLLATE "C" NOT NULL PRIMARY KEY,
            conversation_id text NULL,
            status smallint NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            version bigint NOT NULL,
            data text NOT NULL);
        CREATE INDEX "hil_approvals_created" ON "{schema}"."hil_approvals" (created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_status_created" ON "{schema}"."hil_approvals" (status, created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_conversation_created" ON "{schema}"."hil_approvals" (conversation_id, created_at DESC, id DESC);
        CREATE INDEX "hil_approvals_status_updated" ON "{schema}"."hil_approvals" (status, updated_at);
        CREATE TABLE "{schema}"."hil_audit_archive" (
            approval_id text COLLATE "C" NOT NULL PRIMARY KEY,
            conversation_id text NULL,
            final_status smallint NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            archived_at timestamptz NOT NULL,
            audit_trail text NOT NULL);
        CREATE INDEX "hil_audit_archive_archived" ON "{schema}"."hil_audit_archive" (archived_at);
        INSERT INTO "{schema}".hil_schema_version (version, applied_at, description) VALUES (1, now(), 'approvals, audit archive, listing and purge indexes');
        """;

    private static StateEntry Entry(string id) => new(id, "c1", ApprovalStatus.Pending, T0, T0.AddDays(3), T0, 1, $$"""{"id":"{{id}}"}""");

    private async Task SeedAsync(PostgreSqlStateStore store, string schema, int rows)
    {
        await store.InitializeAsync();
        await Schemas.ScalarAsync($"""
            INSERT INTO "{schema}".hil_approvals (id, conversation_id, status, created_at, expires_at, updated_at, version, data)
            SELECT 'apr_' || lpad(i::text, 6, '0'), 'conv-' || (i % 2000), i % 7,
                   timestamptz '2026-11-24 12:00:00+00' + i * interval '1 second', now(), now(), 1, 'x'
            FROM generate_series(0, {rows - 1}) AS i;
            ANALYZE "{schema}".hil_approvals;
            """);
    }

    private async Task<string> ExplainAsync(string sql, bool byConversation, bool byStatus, bool afterToken)
    {
        await using NpgsqlConnection connection = new(Schemas.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = new("EXPLAIN " + sql, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 51 });
        if (byConversation)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "conv-7" });
        }

        if (byStatus)
        {
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
        }

        if (afterToken)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = T0.AddSeconds(10_000) });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "apr_010000", NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
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
