using HumanInLoop;

namespace HumanInLoop.Testing;

/// <summary>
/// Reads without the conversation (issue 18, goal 2): <see cref="IStateStore.GetWithoutHistoryAsync"/> and
/// <see cref="StateQuery.IncludeHistory"/> return every other column exactly as a whole read does, with the same filters, order and
/// pages, and <see cref="StateEntry.History"/> null.
/// </summary>
public abstract partial class StateStoreContractTests
{
    /// <summary>The deadline seed (tenants, approvers, two conversations, decided ones), every other entry with a conversation kept apart.</summary>
    private async Task<(IStateStore Store, List<StateEntry> Seeded)> SeedWithHistoriesAsync()
    {
        IStateStore store = await CreateStoreAsync();
        List<StateEntry> seeded = [];
        foreach (StateEntry entry in await DeadlineSeedAsync(new InMemoryStateStore()))
        {
            StateEntry withHistory = store.StoresHistorySeparately && seeded.Count % 2 == 0
                ? entry with { History = $$"""[{"role":"user","contents":[{"$type":"text","text":"{{entry.Id}} é ✓ 𝄞"}]}]""" }
                : entry;
            Assert.True(await store.TryCreateAsync(withHistory));
            seeded.Add(withHistory);
        }

        return (store, seeded);
    }

    [Fact]
    public async Task GetWithoutHistory_ReturnsEveryOtherColumnExactly_AndNoHistory()
    {
        (IStateStore store, List<StateEntry> seeded) = await SeedWithHistoriesAsync();
        Assert.True(await store.TryUpdateAsync(seeded[0] with { Version = 2, Data = """{"formatVersion":1,"changed":true}""" }, 1));

        foreach (StateEntry entry in seeded)
        {
            StateEntry whole = (await store.GetAsync(entry.Id))!;
            StateEntry? without = await store.GetWithoutHistoryAsync(entry.Id);
            Assert.NotNull(without);
            Assert.Null(without.History);
            Assert.Equal(whole with { History = null, Approvers = null }, without with { Approvers = null });
            Assert.Equal(whole.Approvers, without.Approvers);
        }

        // The update kept it, and the read without it did not drop it.
        Assert.Equal(seeded[0].History, (await store.GetAsync(seeded[0].Id))!.History);
        Assert.Null(await store.GetWithoutHistoryAsync("nope"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(50)]
    public async Task ListWithoutHistory_SameEntriesOrderAndPages_AsAWholeListing_WithEachFilter(int pageSize)
    {
        (IStateStore store, List<StateEntry> seeded) = await SeedWithHistoriesAsync();
        Assert.Contains(seeded, e => e.History is not null || !store.StoresHistorySeparately);
        StateQuery[] queries =
        [
            new() { PageSize = pageSize },
            new() { PageSize = pageSize, Order = StateOrder.SoonestDeadlineFirst },
            new() { PageSize = pageSize, Status = ApprovalStatus.Pending, TenantId = "tenant-b" },
            new() { PageSize = pageSize, ConversationId = "c1", Status = ApprovalStatus.Pending },
            new() { PageSize = pageSize, CreatedFrom = T0.AddMinutes(3), CreatedBefore = T0.AddMinutes(10) },
            new() { PageSize = pageSize, Approver = Alice },
            new() { PageSize = pageSize, Approver = Alice, TenantId = "tenant-a", Order = StateOrder.SoonestDeadlineFirst },
        ];

        foreach (StateQuery query in queries)
        {
            (List<StateEntry> whole, List<string?> wholeTokens) = await ListPagesAsync(store, query);
            (List<StateEntry> without, List<string?> withoutTokens) = await ListPagesAsync(store, query with { IncludeHistory = false });
            Assert.NotEmpty(whole);
            Assert.Equal(wholeTokens, withoutTokens);
            Assert.Equal(whole.Select(e => e.Id), without.Select(e => e.Id));
            Assert.All(without, e => Assert.Null(e.History));
            Assert.Equal(whole.Select(e => e with { History = null, Approvers = null }), without.Select(e => e with { Approvers = null }));
            Assert.Equal(whole.Select(e => string.Join(",", e.Approvers ?? [])), without.Select(e => string.Join(",", e.Approvers ?? [])));
        }

        Assert.True(new StateQuery().IncludeHistory);
    }

    /// <summary>Every page of <paramref name="query"/>, with the continuation token each one returned.</summary>
    private static async Task<(List<StateEntry> Entries, List<string?> Tokens)> ListPagesAsync(IStateStore store, StateQuery query)
    {
        List<StateEntry> entries = [];
        List<string?> tokens = [];
        string? token = null;
        do
        {
            StatePage page = await store.ListAsync(query with { ContinuationToken = token });
            entries.AddRange(page.Entries);
            tokens.Add(token = page.ContinuationToken);
        }
        while (token is not null);
        return (entries, tokens);
    }
}
