using HumanInLoop;

namespace HumanInLoop.Testing;

/// <summary>An approver's inbox (issue 18): every store keeps <see cref="StateEntry.Approvers"/> and filters by <see cref="StateQuery.Approver"/> in its query.</summary>
public abstract partial class StateStoreContractTests
{
    private static readonly Approver Alice = new("alice", ["finance"]);

    private static StateEntry NamedEntry(string id, int minutes, string[]? approvers, ApprovalStatus status = ApprovalStatus.Pending, string? tenant = null) =>
        Entry(id, "c1", status, minutes) with { Approvers = approvers, TenantId = tenant };

    /// <summary>Twelve approvals, newest last: named to alice, to her role, to anyone, to others only, decided, or to nobody.</summary>
    private static async Task<IStateStore> InboxAsync(IStateStore store)
    {
        string[]?[] names = [["alice"], ["finance", "ops"], [StateEntry.AnyApprover], ["bob"], ["alice", "finance"], null];
        for (int i = 0; i < 12; i++)
        {
            ApprovalStatus status = i == 10 ? ApprovalStatus.Decided : ApprovalStatus.Pending;
            Assert.True(await store.TryCreateAsync(NamedEntry($"n{i:00}", i, names[i % names.Length], status, i % 2 == 0 ? "tenant-a" : "tenant-b")));
        }

        return store;
    }

    private static async Task<List<StateEntry>> ListAllAsync(IStateStore store, StateQuery query)
    {
        List<StateEntry> all = [];
        string? token = null;
        do
        {
            StatePage page = await store.ListAsync(query with { ContinuationToken = token });
            Assert.True(page.Entries.Count <= query.PageSize);
            all.AddRange(page.Entries);
            token = page.ContinuationToken;
        }
        while (token is not null);

        return all;
    }

    [Fact]
    public async Task Approvers_AreStoredDistinctInOrdinalOrder_ReadBackEqual_AndChangedByUpdates()
    {
        IStateStore store = await CreateStoreAsync();
        StateEntry entry = NamedEntry("p1", 0, ["ops", "alice", "ops", StateEntry.AnyApprover, "Émile"]);
        Assert.Equal([StateEntry.AnyApprover, "alice", "ops", "Émile"], entry.Approvers!);
        Assert.True(await store.TryCreateAsync(entry));
        Assert.Equal(entry, await store.GetAsync("p1"));

        StateEntry widened = entry with { Version = 2, Approvers = ["alice", "ops", "seniors"] };
        Assert.True(await store.TryUpdateAsync(widened, 1));
        Assert.Equal(["alice", "ops", "seniors"], (await store.GetAsync("p1"))!.Approvers!);

        Assert.True(await store.TryUpdateAsync(widened with { Version = 3, Status = ApprovalStatus.Decided, Approvers = null }, 2));
        Assert.Null((await store.GetAsync("p1"))!.Approvers);
        Assert.Null(NamedEntry("p2", 0, []).Approvers); // an empty list is kept as none
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(50)]
    public async Task List_ByApprover_ReturnsThePendingApprovalsItsIdItsRolesOrAnyoneMayDecide_NewestFirst_OnEveryPage(int pageSize)
    {
        IStateStore store = await InboxAsync(await CreateStoreAsync());

        List<StateEntry> alice = await ListAllAsync(store, new StateQuery { Approver = Alice, PageSize = pageSize });
        Assert.Equal("n08,n07,n06,n04,n02,n01,n00", string.Join(",", alice.Select(e => e.Id))); // n10 is decided; n04 is named twice, listed once
        List<StateEntry> bob = await ListAllAsync(store, new StateQuery { Approver = new Approver("bob"), Status = ApprovalStatus.Pending, PageSize = pageSize });
        Assert.Equal("n09,n08,n03,n02", string.Join(",", bob.Select(e => e.Id)));
        List<StateEntry> ops = await ListAllAsync(store, new StateQuery { Approver = new Approver("carol", ["ops"]), PageSize = pageSize });
        Assert.Equal("n08,n07,n02,n01", string.Join(",", ops.Select(e => e.Id)));

        List<StateEntry> aliceInA = await ListAllAsync(store, new StateQuery { Approver = Alice, TenantId = "tenant-a", PageSize = pageSize });
        Assert.Equal("n08,n06,n04,n02,n00", string.Join(",", aliceInA.Select(e => e.Id)));
        Assert.Equal("n07,n06,n04", string.Join(",", (await ListAllAsync(store, new StateQuery { Approver = Alice, CreatedFrom = T0.AddMinutes(3), CreatedBefore = T0.AddMinutes(8), PageSize = pageSize })).Select(e => e.Id)));
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = Alice, Status = ApprovalStatus.Decided })).Entries);
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = Alice, ConversationId = "c2" })).Entries);
        Assert.Equal(7, (await store.ListAsync(new StateQuery { Approver = Alice, ConversationId = "c1" })).Entries.Count);
    }

    [Fact]
    public async Task List_ByApprover_FollowsEachChange_ADecisionLeavesTheInbox_AnEscalationJoinsIt()
    {
        IStateStore store = await CreateStoreAsync();
        StateEntry held = NamedEntry("e1", 0, ["bob"]);
        Assert.True(await store.TryCreateAsync(held));
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = Alice })).Entries);

        StateEntry escalated = held with { Version = 2, Approvers = ["bob", "finance"] };
        Assert.True(await store.TryUpdateAsync(escalated, 1));
        Assert.Equal("e1", Assert.Single((await store.ListAsync(new StateQuery { Approver = Alice })).Entries).Id);

        Assert.True(await store.TryUpdateAsync(escalated with { Version = 3, Status = ApprovalStatus.Decided }, 2));
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = Alice })).Entries); // not pending: nobody's inbox, whatever it names
        Assert.Empty((await store.ListAsync(new StateQuery { Approver = new Approver("bob") })).Entries);
    }
}
