using HumanInLoop;

namespace HumanInLoop.Testing;

/// <summary>
/// The behaviour every <see cref="IStateStore"/> must have. Each store's tests inherit this class and supply a fresh,
/// empty store; the SQLite and PostgreSQL stores run it against a real file and a real server.
/// </summary>
public abstract partial class StateStoreContractTests
{
    /// <summary>Creates a new, empty store (a new file, schema or database per call).</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    /// <summary>Creates a second store object over the same storage as <paramref name="first"/> (another connection/pool), or null if the store is process-local.</summary>
    protected virtual Task<IStateStore?> OpenSameStorageAsync(IStateStore first) => Task.FromResult<IStateStore?>(null);

    protected static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    protected static StateEntry Entry(string id, string? conversation = "c1", ApprovalStatus status = ApprovalStatus.Pending, int minutes = 0, long version = 1, string? data = null) =>
        new(id, conversation, status, T0.AddMinutes(minutes), T0.AddDays(3), T0.AddMinutes(minutes), version, data ?? $$"""{"formatVersion":1,"id":"{{id}}","v":{{version}}}""");

    [Fact]
    public async Task Create_NewId_CanBeReadBackExactly()
    {
        IStateStore store = await CreateStoreAsync();
        string data = """{"formatVersion":1,"$type":"x","b":2,"a":1,"text":"é ✓ \u0000 \"quoted\"","n":1.50}""";
        StateEntry entry = Entry("a1", data: data);

        Assert.True(await store.TryCreateAsync(entry));
        StateEntry? read = await store.GetAsync("a1");

        Assert.NotNull(read);
        Assert.Equal(entry, read);
        Assert.Equal(data, read.Data);
    }

    // A conversation kept apart (StoresHistorySeparately): written once with the entry, never replaced, read back exactly.

    /// <summary>Gets whether the store under test declares <see cref="IStateStore.StoresHistorySeparately"/> (every store of this repository does).</summary>
    protected virtual bool KeepsHistoryApart => true;

    private const string History = """[{"role":"user","contents":[{"$type":"text","text":"é ✓ \u0000 \"quoted\" 𝄞"}]}]""";

    [Fact]
    public async Task History_WhenKeptApart_IsReadBackExactlyByGetAndList()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.Equal(KeepsHistoryApart, store.StoresHistorySeparately);
        if (!store.StoresHistorySeparately)
        {
            return; // nothing more is promised: the library never gives such a store a conversation apart to keep
        }

        StateEntry entry = Entry("a1") with { History = History };
        Assert.True(await store.TryCreateAsync(entry));
        Assert.True(await store.TryCreateAsync(Entry("a2")));

        Assert.Equal(entry, await store.GetAsync("a1"));
        Assert.Equal(History, (await store.GetAsync("a1"))!.History);
        Assert.Null((await store.GetAsync("a2"))!.History);
        StatePage page = await store.ListAsync(new StateQuery());
        Assert.Equal(History, Assert.Single(page.Entries, e => e.Id == "a1").History);
        Assert.Null(Assert.Single(page.Entries, e => e.Id == "a2").History);
    }

    [Fact]
    public async Task History_WhenKeptApart_UpdatesNeverReplaceOrDropIt()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.Equal(KeepsHistoryApart, store.StoresHistorySeparately);
        if (!store.StoresHistorySeparately)
        {
            return; // nothing more is promised: the library never gives such a store a conversation apart to keep
        }

        await store.TryCreateAsync(Entry("a1") with { History = History });

        Assert.True(await store.TryUpdateAsync(Entry("a1", status: ApprovalStatus.Decided, version: 2, data: "{\"v\":2}"), expectedVersion: 1));
        Assert.True(await store.TryUpdateAsync(Entry("a1", status: ApprovalStatus.Executing, version: 3, data: "{\"v\":3}") with { History = "[]" }, expectedVersion: 2));
        Assert.False(await store.TryUpdateAsync(Entry("a1", version: 3, data: "{\"stale\":true}") with { History = "[]" }, expectedVersion: 2));
        Assert.False(await store.TryCreateAsync(Entry("a1", data: "{\"again\":true}") with { History = "[]" }));

        StateEntry read = (await store.GetAsync("a1"))!;
        Assert.Equal(3, read.Version);
        Assert.Equal("{\"v\":3}", read.Data);
        Assert.Equal(History, read.History);
    }

    [Fact]
    public async Task Create_ExistingId_ReturnsFalseAndKeepsOriginal()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a1", data: "{\"first\":true}"));

        Assert.False(await store.TryCreateAsync(Entry("a1", data: "{\"second\":true}")));
        Assert.Equal("{\"first\":true}", (await store.GetAsync("a1"))!.Data);
    }

    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.Null(await store.GetAsync("nope"));
    }

    [Fact]
    public async Task Update_WithCurrentVersion_ReplacesAndBumpsVersion()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a1"));

        Assert.True(await store.TryUpdateAsync(Entry("a1", status: ApprovalStatus.Decided, version: 2, data: "{\"v\":2}"), expectedVersion: 1));

        StateEntry read = (await store.GetAsync("a1"))!;
        Assert.Equal(2, read.Version);
        Assert.Equal(ApprovalStatus.Decided, read.Status);
        Assert.Equal("{\"v\":2}", read.Data);
    }

    [Fact]
    public async Task Update_WithStaleVersion_ReturnsFalseAndChangesNothing()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a1"));
        await store.TryUpdateAsync(Entry("a1", version: 2, data: "{\"v\":2}"), 1);

        Assert.False(await store.TryUpdateAsync(Entry("a1", version: 2, data: "{\"stale\":true}"), expectedVersion: 1));
        Assert.Equal("{\"v\":2}", (await store.GetAsync("a1"))!.Data);
    }

    [Fact]
    public async Task Update_UnknownId_ReturnsFalseAndCreatesNothing()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.False(await store.TryUpdateAsync(Entry("ghost", version: 2), 1));
        Assert.Null(await store.GetAsync("ghost"));
    }

    [Fact]
    public async Task Update_ManyConcurrentWritersOnOneVersion_ExactlyOneWins()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a1"));
        IStateStore other = await OpenSameStorageAsync(store) ?? store;

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            (i % 2 == 0 ? store : other).TryUpdateAsync(Entry("a1", version: 2, data: $"{{\"writer\":{i}}}"), 1))));

        Assert.Equal(1, results.Count(r => r));
        StateEntry read = (await store.GetAsync("a1"))!;
        Assert.Equal(2, read.Version);
        int winner = Array.IndexOf(results, true);
        Assert.Equal($"{{\"writer\":{winner}}}", read.Data);
    }

    [Fact]
    public async Task Create_ManyConcurrentCreatorsOfOneId_ExactlyOneWins()
    {
        IStateStore store = await CreateStoreAsync();
        bool[] results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => store.TryCreateAsync(Entry("same", data: $"{{\"c\":{i}}}")))));
        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task List_FiltersByConversationAndStatus_NewestFirst()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a", "c1", ApprovalStatus.Pending, minutes: 1));
        await store.TryCreateAsync(Entry("b", "c1", ApprovalStatus.Completed, minutes: 2));
        await store.TryCreateAsync(Entry("c", "c2", ApprovalStatus.Pending, minutes: 3));
        await store.TryCreateAsync(Entry("d", "c1", ApprovalStatus.Pending, minutes: 4));
        await store.TryCreateAsync(Entry("e", null, ApprovalStatus.Pending, minutes: 5));

        StatePage byConversation = await store.ListAsync(new StateQuery { ConversationId = "c1" });
        StatePage pendingInC1 = await store.ListAsync(new StateQuery { ConversationId = "c1", Status = ApprovalStatus.Pending });
        StatePage allPending = await store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending });

        Assert.Equal(["d", "b", "a"], byConversation.Entries.Select(e => e.Id));
        Assert.Equal(["d", "a"], pendingInC1.Entries.Select(e => e.Id));
        Assert.Equal(["e", "d", "c", "a"], allPending.Entries.Select(e => e.Id));
        Assert.Null(allPending.ContinuationToken);
    }

    [Fact]
    public async Task List_StatusReflectsUpdates()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(Entry("a"));
        await store.TryUpdateAsync(Entry("a", status: ApprovalStatus.Completed, version: 2), 1);

        Assert.Empty((await store.ListAsync(new StateQuery { Status = ApprovalStatus.Pending })).Entries);
        Assert.Single((await store.ListAsync(new StateQuery { Status = ApprovalStatus.Completed })).Entries);
    }

    [Fact]
    public async Task List_Paged_VisitsEveryEntryOnceInOrder_EvenWithEqualTimestamps()
    {
        IStateStore store = await CreateStoreAsync();
        List<string> expected = [];
        for (int i = 0; i < 23; i++)
        {
            // Pairs share a timestamp so that the id breaks ties.
            string id = $"id{i:D2}";
            await store.TryCreateAsync(Entry(id, minutes: i / 2));
            expected.Add(id);
        }

        expected = [.. expected.OrderByDescending(id => int.Parse(id[2..], System.Globalization.CultureInfo.InvariantCulture) / 2).ThenByDescending(id => id, StringComparer.Ordinal)];
        List<string> seen = [];
        string? token = null;
        int pages = 0;
        do
        {
            StatePage page = await store.ListAsync(new StateQuery { PageSize = 5, ContinuationToken = token });
            Assert.True(page.Entries.Count <= 5);
            seen.AddRange(page.Entries.Select(e => e.Id));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 20);

        Assert.Equal(expected, seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public async Task List_CreatedFromIsInclusive_CreatedBeforeIsExclusive_AlsoWhilePaging()
    {
        IStateStore store = await CreateStoreAsync();
        for (int i = 1; i <= 6; i++)
        {
            await store.TryCreateAsync(Entry($"a{i}", minutes: i));
        }

        await store.TryCreateAsync(Entry("b3", conversation: "c2", minutes: 3));

        async Task<string> ListAsync(StateQuery query)
        {
            List<string> ids = [];
            string? token = null;
            do
            {
                StatePage page = await store.ListAsync(query with { PageSize = 2, ContinuationToken = token });
                ids.AddRange(page.Entries.Select(e => e.Id));
                token = page.ContinuationToken;
            }
            while (token is not null && ids.Count < 100);

            return string.Join(",", ids);
        }

        Assert.Equal("a4,b3,a3,a2", await ListAsync(new StateQuery { CreatedFrom = T0.AddMinutes(2), CreatedBefore = T0.AddMinutes(5) }));
        Assert.Equal("a6,a5", await ListAsync(new StateQuery { CreatedFrom = T0.AddMinutes(5) }));
        Assert.Equal("a1", await ListAsync(new StateQuery { CreatedBefore = T0.AddMinutes(2) }));
        Assert.Equal("a4,a3,a2", await ListAsync(new StateQuery { ConversationId = "c1", Status = ApprovalStatus.Pending, CreatedFrom = T0.AddMinutes(2), CreatedBefore = T0.AddMinutes(5) }));

        // A bound finer than the stored milliseconds selects what it would at full precision.
        Assert.Equal("b3,a3", await ListAsync(new StateQuery { CreatedFrom = T0.AddMinutes(2).AddTicks(5_000), CreatedBefore = T0.AddMinutes(3).AddTicks(5_000) }));
        Assert.Equal("", await ListAsync(new StateQuery { CreatedFrom = T0.AddMinutes(4), CreatedBefore = T0.AddMinutes(4) }));
    }

    // Optional capabilities: each store of this repository declares them all, and runs their own contract suites
    // (CallRecordStoreContractTests, GrantStoreContractTests).

    /// <summary>Gets whether the store under test declares <see cref="ICallRecordStore"/>.</summary>
    protected virtual bool KeepsCallRecords => true;

    /// <summary>Gets whether the store under test declares <see cref="IGrantStore"/>.</summary>
    protected virtual bool KeepsGrants => true;

    [Fact]
    public async Task Capabilities_AreTheOnesDeclared()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.Equal(KeepsCallRecords, store is ICallRecordStore);
        Assert.Equal(KeepsGrants, store is IGrantStore);
    }

    [Fact]
    public async Task List_MalformedContinuationToken_Throws()
    {
        IStateStore store = await CreateStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListAsync(new StateQuery { ContinuationToken = "!!not-a-token" }));
    }

    [Fact]
    public async Task SecondStoreObject_SeesWritesOfTheFirst()
    {
        IStateStore store = await CreateStoreAsync();
        IStateStore? other = await OpenSameStorageAsync(store);
        if (other is null)
        {
            Assert.IsType<InMemoryStateStore>(store);
            return;
        }

        await store.TryCreateAsync(Entry("shared"));
        Assert.NotNull(await other.GetAsync("shared"));
        Assert.True(await other.TryUpdateAsync(Entry("shared", version: 2), 1));
        Assert.Equal(2, (await store.GetAsync("shared"))!.Version);
    }
}
