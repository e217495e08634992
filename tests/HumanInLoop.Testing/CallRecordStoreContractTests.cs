using System.Globalization;

namespace HumanInLoop.Testing;

/// <summary>
/// The behaviour every <see cref="ICallRecordStore"/> must have: append-only records, a retried append harmless, listing oldest
/// first by (recorded time, id) in pages whose continuation tokens neither skip nor repeat a record, and the filters. Each store's
/// tests inherit this class and supply a fresh, empty store; the SQLite and PostgreSQL stores run it against a real file and a real server.
/// </summary>
public abstract class CallRecordStoreContractTests
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store (a new file, schema or database per call).</summary>
    protected abstract Task<ICallRecordStore> CreateStoreAsync();

    /// <summary>Creates a second store object over the same storage as <paramref name="first"/>, or null if the store is process-local.</summary>
    protected virtual Task<ICallRecordStore?> OpenSameStorageAsync(ICallRecordStore first) => Task.FromResult<ICallRecordStore?>(null);

    protected static CallRecordEntry Record(string id, int seconds = 0, string tool = "transfer", string? tenant = "t1", string? data = null) =>
        new(id, tool, tenant, T0.AddSeconds(seconds), data ?? $$"""{"id":"{{id}}"}""");

    protected static async Task<List<CallRecordEntry>> ListAllAsync(ICallRecordStore store, CallRecordQuery query, int maxPages = 1000)
    {
        List<CallRecordEntry> all = [];
        string? token = null;
        int pages = 0;
        do
        {
            CallRecordPage page = await store.ListCallRecordsAsync(query with { ContinuationToken = token });
            Assert.True(page.Entries.Count <= query.PageSize);
            all.AddRange(page.Entries);
            token = page.ContinuationToken;
        }
        while (token is not null && ++pages < maxPages);

        return all;
    }

    [Fact]
    public async Task Append_ThenList_OldestFirstByTimeThenId_AndReadBackExactly()
    {
        ICallRecordStore store = await CreateStoreAsync();
        string data = """{"b":2,"a":1,"text":"é ✓ 𝄞 \"quoted\"","n":1.50}""";
        CallRecordEntry exact = Record("r2", seconds: 5, tenant: null, data: data);

        await store.AppendCallRecordsAsync([Record("r3", 9), exact, Record("r1", 5), Record("r0", 1)]);
        CallRecordPage page = await store.ListCallRecordsAsync(new CallRecordQuery());

        Assert.Equal(["r0", "r1", "r2", "r3"], page.Entries.Select(e => e.Id));
        Assert.Equal(exact, page.Entries[2]);
        Assert.Equal(data, page.Entries[2].Data);
        Assert.Null(page.Entries[2].TenantId);
        Assert.Null(page.ContinuationToken);
    }

    [Fact]
    public async Task Append_DuplicateIds_AreSkipped_TheFirstKept()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([Record("a", data: "{\"first\":true}")]);

        // A retried append, and a list that names one id twice.
        await store.AppendCallRecordsAsync([Record("a", 3, data: "{\"again\":true}"), Record("b", 1)]);
        await store.AppendCallRecordsAsync([Record("c", 2, data: "{\"first\":true}"), Record("c", 2, data: "{\"second\":true}")]);

        List<CallRecordEntry> all = await ListAllAsync(store, new CallRecordQuery());
        Assert.Equal(["a", "b", "c"], all.Select(e => e.Id));
        Assert.Equal("{\"first\":true}", all[0].Data);
        Assert.Equal(T0, all[0].RecordedAt);
        Assert.Equal("{\"first\":true}", all[2].Data);
    }

    [Fact]
    public async Task Append_NothingStoresNothing_AndANullRecordIsRefused()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([]);
        await Assert.ThrowsAsync<ArgumentNullException>(() => store.AppendCallRecordsAsync(null!));

        Assert.Empty((await store.ListCallRecordsAsync(new CallRecordQuery())).Entries);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendCallRecordsAsync([Record("a"), null!]));
    }

    [Fact]
    public async Task List_Paged_VisitsEveryRecordOnceInOrder_EvenWithEqualTimestamps()
    {
        ICallRecordStore store = await CreateStoreAsync();
        List<CallRecordEntry> records = [.. Enumerable.Range(0, 23).Select(i => Record($"id{i:D2}", seconds: i / 3))];
        await store.AppendCallRecordsAsync([.. records.AsEnumerable().Reverse()]);

        List<string> seen = [];
        string? token = null;
        int pages = 0;
        do
        {
            CallRecordPage page = await store.ListCallRecordsAsync(new CallRecordQuery { PageSize = 5, ContinuationToken = token });
            Assert.True(page.Entries.Count <= 5);
            seen.AddRange(page.Entries.Select(e => e.Id));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 20);

        Assert.Equal(records.Select(r => r.Id), seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task List_TimesWithAFinerPartThanMilliseconds_PageWithoutSkippingOrRepeating()
    {
        // The stores keep times to the millisecond, the precision of the tokens; records inside one millisecond sort by id.
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([
            new("b", "transfer", null, T0.AddTicks(3_000), "{}"),
            new("a", "transfer", null, T0.AddTicks(7_000), "{}"),
            new("c", "transfer", null, T0.AddTicks(12_000), "{}")]);

        List<CallRecordEntry> all = await ListAllAsync(store, new CallRecordQuery { PageSize = 1 });

        Assert.Equal(["a", "b", "c"], all.Select(e => e.Id));
    }

    [Fact]
    public async Task List_FromIsInclusive_BeforeIsExclusive_AndToolAndTenantFilter()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([
            Record("r0", 0, "transfer", "t1"), Record("r1", 10, "transfer", "t2"), Record("r2", 20, "lookup", "t1"),
            Record("r3", 30, "transfer", null), Record("r4", 40, "transfer", "t1"), Record("r5", 50, "lookup", "t2")]);

        async Task<string> ListAsync(CallRecordQuery query) => string.Join(",", (await ListAllAsync(store, query with { PageSize = 2 })).Select(e => e.Id));

        Assert.Equal("r1,r2,r3", await ListAsync(new CallRecordQuery { From = T0.AddSeconds(10), Before = T0.AddSeconds(40) }));
        Assert.Equal("r4,r5", await ListAsync(new CallRecordQuery { From = T0.AddSeconds(40) }));
        Assert.Equal("r0", await ListAsync(new CallRecordQuery { Before = T0.AddSeconds(10) }));
        Assert.Equal("r2,r5", await ListAsync(new CallRecordQuery { ToolName = "lookup" }));
        Assert.Equal("r0,r2,r4", await ListAsync(new CallRecordQuery { TenantId = "t1" }));
        Assert.Equal("r0,r4", await ListAsync(new CallRecordQuery { ToolName = "transfer", TenantId = "t1" }));
        Assert.Equal("r4", await ListAsync(new CallRecordQuery { ToolName = "transfer", TenantId = "t1", From = T0.AddSeconds(1) }));
        Assert.Equal("", await ListAsync(new CallRecordQuery { ToolName = "TRANSFER" }));
        Assert.Equal("", await ListAsync(new CallRecordQuery { From = T0.AddSeconds(20), Before = T0.AddSeconds(20) }));
    }

    [Fact]
    public async Task List_MalformedContinuationToken_Throws()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListCallRecordsAsync(new CallRecordQuery { ContinuationToken = "!!not-a-token" }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListCallRecordsAsync(new CallRecordQuery { ContinuationToken = "bm8tY29sb24" }));
    }

    [Fact]
    public void Entry_WithALoneSurrogate_IsRefusedWhenConstructedAndInWith()
    {
        string lone = "x" + (char)0xD800;
        CallRecordEntry entry = Record("a");

        Assert.Throws<ArgumentException>(() => new CallRecordEntry(lone, "transfer", null, T0, "{}"));
        Assert.Throws<ArgumentException>(() => new CallRecordEntry("a", lone, null, T0, "{}"));
        Assert.Throws<ArgumentException>(() => new CallRecordEntry("a", "transfer", lone, T0, "{}"));
        Assert.Throws<ArgumentException>(() => entry with { Id = lone });
        Assert.Throws<ArgumentException>(() => entry with { ToolName = lone });
        Assert.Throws<ArgumentException>(() => entry with { TenantId = lone });
        Assert.Equal("t-\U0001F600", (entry with { TenantId = "t-\U0001F600" }).TenantId);
    }

    [Fact]
    public async Task List_FilterWithALoneSurrogate_MatchesNothing()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([Record("a", tool: "tool-\uFFFD", tenant: "t-\uFFFD")]);

        Assert.Empty((await store.ListCallRecordsAsync(new CallRecordQuery { ToolName = "tool-" + (char)0xD800 })).Entries);
        Assert.Empty((await store.ListCallRecordsAsync(new CallRecordQuery { TenantId = "t-" + (char)0xDC00 })).Entries);
        Assert.Single((await store.ListCallRecordsAsync(new CallRecordQuery { ToolName = "tool-\uFFFD" })).Entries);
    }

    [Fact]
    public async Task Append_ManyWritersWithOverlappingIds_EachIdStoredOnce()
    {
        ICallRecordStore store = await CreateStoreAsync();
        ICallRecordStore other = await OpenSameStorageAsync(store) ?? store;

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => (i % 2 == 0 ? store : other).AppendCallRecordsAsync(
            [.. Enumerable.Range(i * 5, 10).Select(n => Record(n.ToString("D4", CultureInfo.InvariantCulture), seconds: n, data: $"{{\"writer\":{i}}}"))]))));

        List<CallRecordEntry> all = await ListAllAsync(other, new CallRecordQuery { PageSize = 7 });
        Assert.Equal(Enumerable.Range(0, 105).Select(n => n.ToString("D4", CultureInfo.InvariantCulture)), all.Select(e => e.Id));
    }

    [Fact]
    public async Task Append_ThousandsInOneCall_AreAllListed()
    {
        ICallRecordStore store = await CreateStoreAsync();
        await store.AppendCallRecordsAsync([.. Enumerable.Range(0, 3000).Select(n => Record($"r{n:D5}", seconds: n % 100))]);

        CallRecordPage first = await store.ListCallRecordsAsync(new CallRecordQuery { PageSize = 5000 });
        Assert.Equal(3000, first.Entries.Count);
        Assert.Null(first.ContinuationToken);
        Assert.Equal(3000, (await ListAllAsync(store, new CallRecordQuery { PageSize = 499 })).Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task SecondStoreObject_SeesAppendsOfTheFirst()
    {
        ICallRecordStore store = await CreateStoreAsync();
        ICallRecordStore? other = await OpenSameStorageAsync(store);
        if (other is null)
        {
            Assert.IsType<InMemoryStateStore>(store);
            return;
        }

        await store.AppendCallRecordsAsync([Record("shared")]);
        Assert.Equal("shared", Assert.Single((await other.ListCallRecordsAsync(new CallRecordQuery())).Entries).Id);
    }
}
