using System.Text.Json.Nodes;

namespace HumanInLoop.Testing;

/// <summary>
/// Purge and archived audit trails (<see cref="IPurgeableStateStore"/>), reached through the interface: purging removes only
/// finished approvals older than the cutoff, keeping each audit trail unless told otherwise, wherever the conversation is kept.
/// </summary>
public abstract partial class StateStoreContractTests
{
    /// <summary>Gets whether the store under test declares <see cref="IPurgeableStateStore"/> (every store of this repository does).</summary>
    protected virtual bool IsPurgeable => true;

    [Fact]
    public async Task Purge_KeepingAuditTrail_RemovesOnlyOldFinishedApprovalsAndArchivesTheirTrails()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        TransferBank bank = new(store);
        (string completed, string cancelled, string expired, string pending, string decided) = await bank.MakeOneOfEachAsync();
        Dictionary<string, IReadOnlyList<ApprovalAuditEntry>> trails = [];
        foreach (string id in new[] { completed, cancelled, expired })
        {
            trails[id] = (await bank.Approvals.GetAsync(id)).AuditTrail;
        }

        Assert.Equal(0, await store.PurgeAsync(TransferBank.Start, keepAuditTrail: true));
        int purged = await store.PurgeAsync(bank.Time.GetUtcNow().AddMilliseconds(1), keepAuditTrail: true);

        Assert.Equal(3, purged);
        foreach (string id in new[] { completed, cancelled, expired })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = (await store.ReadArchivedAuditTrailAsync(id))!;
            Assert.NotNull(archived);
            Assert.Equal(trails[id].Select(Describe), archived.Select(Describe));
        }

        Assert.Equal(ApprovalAuditEvent.Completed, (await store.ReadArchivedAuditTrailAsync(completed))![^1].Event);
        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync(pending))!.Status);
        Assert.Equal(ApprovalStatus.Decided, (await store.GetAsync(decided))!.Status);
        Assert.Null(await store.ReadArchivedAuditTrailAsync(pending));
        Assert.Equal(0, await store.PurgeAsync(bank.Time.GetUtcNow().AddDays(365), keepAuditTrail: true));
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_ArchivesTrailsOfApprovalsWrittenEitherWay()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        TransferBank apart = new(store);

        // As the library wrote approvals before stores kept the conversation apart, and still does for stores that do not.
        TransferBank whole = new(new ForwardingStore(store, storesHistorySeparately: false));
        string keptApart = await apart.PauseAsync("c-apart");
        string wholeRecord = await whole.PauseAsync("c-whole");
        await apart.Approvals.CancelAsync(keptApart, new Approver("alice"), "Not needed.");
        await whole.Approvals.CancelAsync(wholeRecord, new Approver("alice"), "Not needed.");
        Assert.NotNull((await store.GetAsync(keptApart))!.History);
        StateEntry wholeRow = (await store.GetAsync(wholeRecord))!;
        Assert.Null(wholeRow.History);
        Assert.Contains("\"messages\"", wholeRow.Data, StringComparison.Ordinal);
        Dictionary<string, IReadOnlyList<ApprovalAuditEntry>> trails = [];
        trails[keptApart] = (await apart.Approvals.GetAsync(keptApart)).AuditTrail;
        trails[wholeRecord] = (await whole.Approvals.GetAsync(wholeRecord)).AuditTrail;

        Assert.Equal(2, await store.PurgeAsync(TransferBank.Start.AddDays(1), keepAuditTrail: true));

        foreach (string id in new[] { keptApart, wholeRecord })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = Assert.IsAssignableFrom<IReadOnlyList<ApprovalAuditEntry>>(await store.ReadArchivedAuditTrailAsync(id));
            Assert.Equal(trails[id].Select(Describe), archived.Select(Describe));
            Assert.Equal(ApprovalAuditEvent.Cancelled, archived[^1].Event);
        }
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_ReadsTheConversationWhereverItIsKept_AndLeavesRecordsWithoutOneOrWithTwo()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        string messages = JsonNode.Parse(VersionOneRow.Data)!["messages"]!.ToJsonString();
        Dictionary<string, StateEntry> rows = [];
        async Task AddAsync(string id, bool conversationInData, string? history)
        {
            JsonObject record = JsonNode.Parse(VersionOneRow.Data)!.AsObject();
            record["id"] = id;
            record["status"] = nameof(ApprovalStatus.Completed);
            if (!conversationInData)
            {
                record.Remove("messages");
            }

            StateEntry entry = new(id, "c", ApprovalStatus.Completed, TransferBank.Start, TransferBank.Start.AddDays(1), TransferBank.Start, 1, record.ToJsonString()) { History = history };
            Assert.True(await store.TryCreateAsync(entry));
            rows[id] = entry;
        }

        await AddAsync("in-data", conversationInData: true, history: null);
        await AddAsync("apart", conversationInData: false, history: messages);
        await AddAsync("missing", conversationInData: false, history: null);
        await AddAsync("twice", conversationInData: true, history: messages);

        Assert.Equal(2, await store.PurgeAsync(TransferBank.Start.AddDays(1), keepAuditTrail: true));

        foreach (string id in new[] { "in-data", "apart" })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = Assert.IsAssignableFrom<IReadOnlyList<ApprovalAuditEntry>>(await store.ReadArchivedAuditTrailAsync(id));
            Assert.Equal(PendingApprovalSerializer.Deserialize(rows[id]).AuditTrail.Select(Describe), archived.Select(Describe));
            Assert.Equal(4, archived.Count);
        }

        // Not readable as an approval: kept, not archived, until purged without the trail.
        foreach (string id in new[] { "missing", "twice" })
        {
            Assert.NotNull(await store.GetAsync(id));
            Assert.Null(await store.ReadArchivedAuditTrailAsync(id));
        }

        Assert.Equal(2, await store.PurgeAsync(TransferBank.Start.AddDays(1), keepAuditTrail: false));
        Assert.Empty((await store.ListAsync(new StateQuery())).Entries);
    }

    [Fact]
    public async Task Purge_WithoutAuditTrail_DeletesEverythingOfFinishedApprovals()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        TransferBank bank = new(store);
        (string completed, string cancelled, string expired, string pending, _) = await bank.MakeOneOfEachAsync();

        Assert.Equal(3, await store.PurgeAsync(bank.Time.GetUtcNow().AddMilliseconds(1), keepAuditTrail: false));

        foreach (string id in new[] { completed, cancelled, expired })
        {
            Assert.Null(await store.GetAsync(id));
            Assert.Null(await store.ReadArchivedAuditTrailAsync(id));
        }

        Assert.NotNull(await store.GetAsync(pending));
    }

    [Fact]
    public async Task Purge_OnlyBeforeTheCutoff_AndManyInBatches()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        TransferBank bank = new(store);
        List<string> old = [];
        for (int i = 0; i < 1203; i++)
        {
            string id = $"old{i:D4}";
            await store.TryCreateAsync(new StateEntry(id, "c", ApprovalStatus.Cancelled, TransferBank.Start, TransferBank.Start.AddDays(1), TransferBank.Start.AddMinutes(i % 7), 1, "{}"));
            old.Add(id);
        }

        await store.TryCreateAsync(new StateEntry("recent", "c", ApprovalStatus.Completed, TransferBank.Start, TransferBank.Start.AddDays(1), TransferBank.Start.AddHours(2), 1, "{}"));

        Assert.Equal(1203, await store.PurgeAsync(TransferBank.Start.AddHours(1), keepAuditTrail: false));

        Assert.Equal(["recent"], (await store.ListAsync(new StateQuery())).Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_LeavesUnreadableRecordsInPlace()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        await store.TryCreateAsync(new StateEntry("broken", "c", ApprovalStatus.Completed, TransferBank.Start, TransferBank.Start.AddDays(1), TransferBank.Start, 1, "{\"not\":\"an approval\"}"));

        Assert.Equal(0, await store.PurgeAsync(TransferBank.Start.AddDays(1), keepAuditTrail: true));
        Assert.NotNull(await store.GetAsync("broken"));
        Assert.Equal(1, await store.PurgeAsync(TransferBank.Start.AddDays(1), keepAuditTrail: false));
    }

    [Fact]
    public async Task Purge_CancelledBeforeItStarts_ThrowsAndDeletesNothing()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        await store.TryCreateAsync(Entry("done", status: ApprovalStatus.Cancelled));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PurgeAsync(T0.AddDays(1), keepAuditTrail: false, new CancellationToken(canceled: true)));
        Assert.NotNull(await store.GetAsync("done"));
    }

    [Fact]
    public async Task ReadArchivedAuditTrail_NeverPurgedOrBlankId_ReturnsNullOrThrows()
    {
        if (await CreatePurgeableStoreAsync() is not { } store)
        {
            return; // nothing is promised
        }

        Assert.Null(await store.ReadArchivedAuditTrailAsync("never-purged"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ReadArchivedAuditTrailAsync(" "));
    }

    private static string Describe(ApprovalAuditEntry e) =>
        $"{e.Sequence}|{e.Timestamp.ToUnixTimeMilliseconds()}|{e.Event}|{e.Actor}|{e.CallId}|{e.ToolName}|{e.Fingerprint}|{e.Arguments?.GetRawText()}|{e.Reason}|{e.PreviousHash}|{e.Hash}";

    /// <summary>Creates a store and checks it declares purge as the test class says; <see langword="null"/> when it does not.</summary>
    private async Task<IPurgeableStateStore?> CreatePurgeableStoreAsync()
    {
        IStateStore store = await CreateStoreAsync();
        Assert.Equal(IsPurgeable, store is IPurgeableStateStore);
        return store as IPurgeableStateStore;
    }
}
