using HumanInLoop;

namespace HumanInLoop.Testing;

/// <summary>Tenant isolation (issue 17): every store keeps <see cref="StateEntry.TenantId"/> and filters by it in its query.</summary>
public abstract partial class StateStoreContractTests
{
    private static StateEntry TenantEntry(string id, string? tenant, int minutes, ApprovalStatus status = ApprovalStatus.Pending, string conversation = "c1") =>
        Entry(id, conversation, status, minutes) with { TenantId = tenant };

    /// <summary>Six approvals of tenant A interleaved with six of B and three of no tenant, newest last.</summary>
    private static async Task<IStateStore> TenantsAsync(IStateStore store)
    {
        for (int i = 0; i < 15; i++)
        {
            string? tenant = (i % 7) switch { 0 => null, 1 or 3 or 5 => "tenant-b", _ => "tenant-a" };
            Assert.True(await store.TryCreateAsync(TenantEntry($"x{i:00}", tenant, i, i % 3 == 0 ? ApprovalStatus.Decided : ApprovalStatus.Pending)));
        }

        return store;
    }

    [Fact]
    public async Task TenantId_IsStored_ReadBack_AndKeptByUpdates()
    {
        IStateStore store = await CreateStoreAsync();
        StateEntry entry = TenantEntry("t1", "tenant-a", 0);
        Assert.True(await store.TryCreateAsync(entry));

        Assert.Equal("tenant-a", (await store.GetAsync("t1"))!.TenantId);
        Assert.True(await store.TryUpdateAsync(entry with { Version = 2, Status = ApprovalStatus.Decided }, 1));
        Assert.Equal("tenant-a", (await store.GetAsync("t1"))!.TenantId);
        Assert.Equal("tenant-a", Assert.Single((await store.ListAsync(new StateQuery { TenantId = "tenant-a" })).Entries).TenantId);
        Assert.Empty((await store.ListAsync(new StateQuery { TenantId = "tenant-b" })).Entries);
        Assert.Equal("tenant-a", Assert.Single((await store.ListAsync(new StateQuery())).Entries).TenantId);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(50)]
    public async Task List_ByTenant_ReturnsOnlyThatTenant_AndPagingStaysInside(int pageSize)
    {
        IStateStore store = await TenantsAsync(await CreateStoreAsync());
        foreach ((string tenant, int expected) in new[] { ("tenant-a", 6), ("tenant-b", 6), ("tenant-c", 0) })
        {
            List<StateEntry> all = [];
            string? token = null;
            do
            {
                StatePage page = await store.ListAsync(new StateQuery { TenantId = tenant, PageSize = pageSize, ContinuationToken = token });
                Assert.True(page.Entries.Count <= pageSize);
                Assert.All(page.Entries, e => Assert.Equal(tenant, e.TenantId));
                all.AddRange(page.Entries);
                token = page.ContinuationToken;
            }
            while (token is not null);

            Assert.Equal(expected, all.Count);
            Assert.Equal(all.OrderByDescending(e => e.CreatedAt).Select(e => e.Id), all.Select(e => e.Id)); // newest first, none twice
        }
    }

    [Fact]
    public async Task List_ByTenantAndStatusOrConversation_CombinesTheFilters()
    {
        IStateStore store = await TenantsAsync(await CreateStoreAsync());
        Assert.True(await store.TryCreateAsync(TenantEntry("other-conv", "tenant-a", 30, conversation: "c2")));
        Assert.True(await store.TryCreateAsync(TenantEntry("other-conv-b", "tenant-b", 31, conversation: "c2")));

        StatePage decided = await store.ListAsync(new StateQuery { TenantId = "tenant-a", Status = ApprovalStatus.Decided });
        StatePage conversation = await store.ListAsync(new StateQuery { TenantId = "tenant-a", ConversationId = "c2" });
        StatePage window = await store.ListAsync(new StateQuery { TenantId = "tenant-b", CreatedFrom = T0.AddMinutes(3), CreatedBefore = T0.AddMinutes(10) });

        Assert.Equal(["x09", "x06"], decided.Entries.Select(e => e.Id));
        Assert.Equal("other-conv", Assert.Single(conversation.Entries).Id);
        Assert.Equal(["x08", "x05", "x03"], window.Entries.Select(e => e.Id));
        Assert.Equal(15 + 2, (await store.ListAsync(new StateQuery { PageSize = 100 })).Entries.Count); // no tenant filter: all
    }

    [Fact]
    public async Task TenantView_AskTheStoreForTheTenantOnly_AndNeverSeesAnotherTenantsRow()
    {
        IStateStore store = await TenantsAsync(await CreateStoreAsync());
        RecordingListStore recorder = new(store);
        ApprovalService tenantA = new ApprovalService(recorder).ForTenant("tenant-a");

        List<string> ids = [];
        string? token = null;
        do
        {
            ApprovalPage page = await tenantA.ListAsync(new StateQuery { PageSize = 2, ContinuationToken = token });
            ids.AddRange(page.UnreadableIds); // test rows are not approvals: listed by id
            token = page.ContinuationToken;
        }
        while (token is not null);

        // The filter is in the store's query: every row the store returned (read) was tenant A's, on every page.
        Assert.Equal(6, ids.Count);
        Assert.All(recorder.Queries, q => Assert.Equal("tenant-a", q.TenantId));
        Assert.All(recorder.Returned, e => Assert.Equal("tenant-a", e.TenantId));
        Assert.Equal(6, recorder.Returned.Count);

        // Asking for another tenant through the view finds nothing and does not even ask the store.
        int asked = recorder.Queries.Count;
        Assert.Empty((await tenantA.ListAsync(new StateQuery { TenantId = "tenant-b" })).UnreadableIds);
        Assert.Equal(asked, recorder.Queries.Count);

        // Another tenant's id answers exactly like an id that does not exist.
        ApprovalNotFoundException other = await Assert.ThrowsAsync<ApprovalNotFoundException>(() => tenantA.GetAsync("x01"));
        ApprovalNotFoundException unknown = await Assert.ThrowsAsync<ApprovalNotFoundException>(() => tenantA.GetAsync("nope"));
        Assert.Equal(unknown.Message.Replace("nope", "x01", StringComparison.Ordinal), other.Message);
    }

    /// <summary>Passes every call on and records what each listing asked for and what the store returned.</summary>
    private sealed class RecordingListStore(IStateStore inner) : IStateStore
    {
        public List<StateQuery> Queries { get; } = [];

        public List<StateEntry> Returned { get; } = [];

        public bool StoresHistorySeparately => inner.StoresHistorySeparately;

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
        {
            StatePage page = await inner.ListAsync(query, cancellationToken);
            lock (Queries)
            {
                Queries.Add(query);
                Returned.AddRange(page.Entries);
            }

            return page;
        }
    }
}
