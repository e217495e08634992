using HumanInLoop;

namespace HumanInLoop.Testing;

/// <summary>The deadline order (issue 21): every store lists by <see cref="StateOrder.SoonestDeadlineFirst"/> across pages, ties by id.</summary>
public abstract partial class StateStoreContractTests
{
    private static readonly int[] DeadlineHours = [5, 2, 9, 2, 7, 1, 2, 9, 4, 1, 6, 3, 2, 8];

    /// <summary>
    /// Fourteen approvals created a minute apart whose ids do not follow creation (d00, d05, d10, d01, ...) and whose deadlines repeat
    /// (so ties are broken by id); every fifth decided; tenants a and b alternating; named to alice, to finance, or to bob.
    /// </summary>
    private static async Task<List<StateEntry>> DeadlineSeedAsync(IStateStore store)
    {
        string[][] names = [["alice"], ["finance"], ["bob"]];
        List<StateEntry> seeded = [];
        for (int i = 0; i < DeadlineHours.Length; i++)
        {
            ApprovalStatus status = i % 5 == 4 ? ApprovalStatus.Decided : ApprovalStatus.Pending;
            StateEntry entry = Entry($"d{i * 5 % 14:00}", i % 4 == 3 ? "c2" : "c1", status, i) with
            {
                ExpiresAt = T0.AddHours(DeadlineHours[i]),
                TenantId = i % 2 == 0 ? "tenant-a" : "tenant-b",
                Approvers = status == ApprovalStatus.Pending ? names[i % names.Length] : null,
            };
            Assert.True(await store.TryCreateAsync(entry));
            seeded.Add(entry);
        }

        return seeded;
    }

    private static string ByDeadline(IEnumerable<StateEntry> entries) =>
        string.Join(",", entries.OrderBy(e => e.ExpiresAt).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id));

    private static string Ids(IEnumerable<StateEntry> entries) => string.Join(",", entries.Select(e => e.Id));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(50)]
    public async Task List_SoonestDeadlineFirst_OrdersByDeadlineThenId_AcrossPages_WithEachFilter(int pageSize)
    {
        IStateStore store = await CreateStoreAsync();
        List<StateEntry> seeded = await DeadlineSeedAsync(store);
        StateQuery byDeadline = new() { Order = StateOrder.SoonestDeadlineFirst, PageSize = pageSize };

        // Written out once: deadline 1h (d11, d03), 2h (d05, d01, d02, d04), 3h (d13), 4h (d12), ... ; d06 and d03 are decided.
        Assert.Equal(
            "d03,d11,d01,d02,d04,d05,d13,d12,d00,d08,d06,d09,d07,d10",
            Ids(await ListAllAsync(store, byDeadline)));

        List<StateEntry> pending = [.. seeded.Where(e => e.Status == ApprovalStatus.Pending)];
        Assert.Equal(ByDeadline(pending), Ids(await ListAllAsync(store, byDeadline with { Status = ApprovalStatus.Pending })));
        Assert.Equal(
            ByDeadline(pending.Where(e => e.TenantId == "tenant-b")),
            Ids(await ListAllAsync(store, byDeadline with { Status = ApprovalStatus.Pending, TenantId = "tenant-b" })));
        Assert.Equal(
            ByDeadline(seeded.Where(e => e.Status == ApprovalStatus.Decided)),
            Ids(await ListAllAsync(store, byDeadline with { Status = ApprovalStatus.Decided })));
        Assert.Equal(ByDeadline(seeded.Where(e => e.ConversationId == "c2")), Ids(await ListAllAsync(store, byDeadline with { ConversationId = "c2" })));
        Assert.Equal(
            ByDeadline(seeded.Where(e => e.CreatedAt >= T0.AddMinutes(3) && e.CreatedAt < T0.AddMinutes(10))),
            Ids(await ListAllAsync(store, byDeadline with { CreatedFrom = T0.AddMinutes(3), CreatedBefore = T0.AddMinutes(10) })));

        // The inbox: alice by id and by her role, merged without duplicates; with a tenant; with a conversation.
        List<StateEntry> alice = [.. pending.Where(e => e.Approvers!.Contains("alice") || e.Approvers!.Contains("finance"))];
        Assert.Equal(ByDeadline(alice), Ids(await ListAllAsync(store, byDeadline with { Approver = Alice })));
        Assert.Equal(
            ByDeadline(alice.Where(e => e.TenantId == "tenant-a")),
            Ids(await ListAllAsync(store, byDeadline with { Approver = Alice, Status = ApprovalStatus.Pending, TenantId = "tenant-a" })));
        Assert.Equal(ByDeadline(alice.Where(e => e.ConversationId == "c1")), Ids(await ListAllAsync(store, byDeadline with { Approver = Alice, ConversationId = "c1" })));
        Assert.Empty((await store.ListAsync(byDeadline with { Approver = Alice, Status = ApprovalStatus.Decided })).Entries);

        // The default order is unchanged: newest first.
        Assert.Equal(Ids(seeded.AsEnumerable().Reverse()), Ids(await ListAllAsync(store, new StateQuery { PageSize = pageSize })));
    }

    [Fact]
    public async Task List_SoonestDeadlineFirst_FollowsADeadlineChangedByAnUpdate_InTheInboxToo()
    {
        IStateStore store = await CreateStoreAsync();
        List<StateEntry> seeded = await DeadlineSeedAsync(store);
        StateEntry last = seeded.Single(e => e.Id == "d07"); // finance's (so alice's), due last (9h)
        Assert.True(await store.TryUpdateAsync(last with { Version = 2, ExpiresAt = T0.AddMinutes(30) }, 1));

        StateQuery inbox = new() { Order = StateOrder.SoonestDeadlineFirst, Approver = Alice, PageSize = 2 };
        List<StateEntry> listed = await ListAllAsync(store, inbox);
        Assert.Equal("d07", listed[0].Id);
        Assert.Equal("d07", (await ListAllAsync(store, inbox with { Approver = null, Status = ApprovalStatus.Pending }))[0].Id);

        // Decided: gone from the inbox, still listed by status.
        Assert.True(await store.TryUpdateAsync(last with { Version = 3, ExpiresAt = T0.AddMinutes(30), Status = ApprovalStatus.Decided, Approvers = null }, 2));
        Assert.DoesNotContain("d07", (await ListAllAsync(store, inbox)).Select(e => e.Id));
        Assert.Equal("d07", (await ListAllAsync(store, inbox with { Approver = null, Status = ApprovalStatus.Decided }))[0].Id);
    }

    [Fact]
    public async Task List_ContinuationToken_OfOneOrder_IsRefusedByTheOther_AndMalformedOnesStayRefused()
    {
        IStateStore store = await CreateStoreAsync();
        await DeadlineSeedAsync(store);
        StateQuery newest = new() { PageSize = 2 };
        StateQuery soonest = newest with { Order = StateOrder.SoonestDeadlineFirst };
        string newestToken = (await store.ListAsync(newest)).ContinuationToken!;
        string soonestToken = (await store.ListAsync(soonest)).ContinuationToken!;
        Assert.NotEqual(newestToken, soonestToken);

        ArgumentException crossed = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(soonest with { ContinuationToken = newestToken }));
        Assert.Contains("order", crossed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(newest with { ContinuationToken = soonestToken }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(soonest with { Approver = Alice, ContinuationToken = newestToken }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(soonest with { ContinuationToken = "not a token" }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(soonest with { ContinuationToken = "ZA" })); // "d": the mark alone

        // Each token continues its own order.
        Assert.Equal(2, (await store.ListAsync(soonest with { ContinuationToken = soonestToken })).Entries.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StateQuery { Order = (StateOrder)7 });
    }
}
