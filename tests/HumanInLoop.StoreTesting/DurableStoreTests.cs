using System.Text.Json.Nodes;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.StoreTesting;

/// <summary>
/// What the durable stores promise beyond <see cref="StateStoreContractTests"/>: the data and the conversation of real approvals
/// come back byte for byte, and purging removes only finished approvals, keeping their audit trail unless told otherwise,
/// whether the conversation is kept apart or inside the record.
/// </summary>
public abstract class DurableStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a new, empty store.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    /// <summary>Calls the store's PurgeAsync.</summary>
    protected abstract Task<int> PurgeAsync(IStateStore store, DateTimeOffset olderThan, bool keepAuditTrail);

    /// <summary>Calls the store's ReadArchivedAuditTrailAsync.</summary>
    protected abstract Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(IStateStore store, string approvalId);

    [Fact]
    public async Task Data_UnicodeKeyOrderAndLateTypeDiscriminator_ComeBackByteForByte()
    {
        IStateStore store = await CreateStoreAsync();
        string data = "{\"z\":1,\"a\":{\"y\":[3,2,1],\"$type\":\"text\",\"b\":null},\"text\":\"Zürich → 東京 😀 \\u0000 \\\"q\\\" \\\\ tab\\t\",\"n\":1.50,\"e\":1E+2,  \"spaced\" : true }";
        string large = "{\"pad\":\"" + new string('x', 2_000_000) + "\",\"k\":\"ü\"}";
        StateEntry entry = new("a1", "c1", ApprovalStatus.Pending, Start, Start.AddDays(3), Start, 1, data);
        StateEntry big = entry with { Id = "a2", Data = large, History = "[" + large + "," + data + "]" };

        Assert.True(await store.TryCreateAsync(entry));
        Assert.True(await store.TryCreateAsync(big));

        Assert.Equal(data, (await store.GetAsync("a1"))!.Data);
        Assert.Equal(large, (await store.GetAsync("a2"))!.Data);
        Assert.Equal(big.History, (await store.GetAsync("a2"))!.History);
        Assert.Equal(data, (await store.ListAsync(new StateQuery { ConversationId = "c1" })).Entries.Single(e => e.Id == "a1").Data);
        Assert.Equal(big.History, (await store.ListAsync(new StateQuery { ConversationId = "c1" })).Entries.Single(e => e.Id == "a2").History);
    }

    [Fact]
    public async Task RealApproval_IsStoredExactlyAsWrittenAndStillVerifies()
    {
        IStateStore store = await CreateStoreAsync();
        ForwardingStore recorder = new(store, store.StoresHistorySeparately);
        Bank bank = new(recorder);
        string id = await bank.PauseAsync("conv-ü", "Überweise 500 an Zoë 😀");

        StateEntry written = Assert.Single(recorder.Created);
        StateEntry stored = (await store.GetAsync(id))!;
        PendingApproval approval = await bank.Approvals.GetAsync(id);

        // The record and the conversation kept apart, each exactly as the service wrote them.
        Assert.True(store.StoresHistorySeparately);
        Assert.Equal(written.Data, stored.Data);
        Assert.NotNull(written.History);
        Assert.Equal(written.History, stored.History);
        Assert.Equal(PendingApprovalSerializer.Serialize(approval), PendingApprovalSerializer.Serialize(PendingApprovalSerializer.Deserialize(stored)));
        Assert.Equal("Überweise 500 an Zoë 😀", approval.Messages[0].Text);
        Assert.Equal(Start, stored.CreatedAt);
        Assert.Equal(approval.ExpiresAt, stored.ExpiresAt);
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_RemovesOnlyOldFinishedApprovalsAndArchivesTheirTrails()
    {
        IStateStore store = await CreateStoreAsync();
        Bank bank = new(store);
        (string completed, string cancelled, string expired, string pending, string decided) = await bank.MakeOneOfEachAsync();
        Dictionary<string, IReadOnlyList<ApprovalAuditEntry>> trails = [];
        foreach (string id in new[] { completed, cancelled, expired })
        {
            trails[id] = (await bank.Approvals.GetAsync(id)).AuditTrail;
        }

        Assert.Equal(0, await PurgeAsync(store, Start, keepAuditTrail: true));
        int purged = await PurgeAsync(store, bank.Time.GetUtcNow().AddMilliseconds(1), keepAuditTrail: true);

        Assert.Equal(3, purged);
        foreach (string id in new[] { completed, cancelled, expired })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = (await ReadArchivedAuditTrailAsync(store, id))!;
            Assert.NotNull(archived);
            Assert.Equal(trails[id].Select(Describe), archived.Select(Describe));
        }

        Assert.Equal(ApprovalAuditEvent.Completed, (await ReadArchivedAuditTrailAsync(store, completed))![^1].Event);
        Assert.Equal(ApprovalStatus.Pending, (await store.GetAsync(pending))!.Status);
        Assert.Equal(ApprovalStatus.Decided, (await store.GetAsync(decided))!.Status);
        Assert.Null(await ReadArchivedAuditTrailAsync(store, pending));
        Assert.Equal(0, await PurgeAsync(store, bank.Time.GetUtcNow().AddDays(365), keepAuditTrail: true));
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_ArchivesTrailsOfApprovalsWrittenEitherWay()
    {
        IStateStore store = await CreateStoreAsync();
        Bank apart = new(store);

        // As the library wrote approvals before stores kept the conversation apart, and still does for stores that do not.
        Bank whole = new(new ForwardingStore(store, storesHistorySeparately: false));
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

        Assert.Equal(2, await PurgeAsync(store, Start.AddDays(1), keepAuditTrail: true));

        foreach (string id in new[] { keptApart, wholeRecord })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = Assert.IsAssignableFrom<IReadOnlyList<ApprovalAuditEntry>>(await ReadArchivedAuditTrailAsync(store, id));
            Assert.Equal(trails[id].Select(Describe), archived.Select(Describe));
            Assert.Equal(ApprovalAuditEvent.Cancelled, archived[^1].Event);
        }
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_ReadsTheConversationWhereverItIsKept_AndLeavesRecordsWithoutOneOrWithTwo()
    {
        IStateStore store = await CreateStoreAsync();
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

            StateEntry entry = new(id, "c", ApprovalStatus.Completed, Start, Start.AddDays(1), Start, 1, record.ToJsonString()) { History = history };
            Assert.True(await store.TryCreateAsync(entry));
            rows[id] = entry;
        }

        await AddAsync("in-data", conversationInData: true, history: null);
        await AddAsync("apart", conversationInData: false, history: messages);
        await AddAsync("missing", conversationInData: false, history: null);
        await AddAsync("twice", conversationInData: true, history: messages);

        Assert.Equal(2, await PurgeAsync(store, Start.AddDays(1), keepAuditTrail: true));

        foreach (string id in new[] { "in-data", "apart" })
        {
            Assert.Null(await store.GetAsync(id));
            IReadOnlyList<ApprovalAuditEntry> archived = Assert.IsAssignableFrom<IReadOnlyList<ApprovalAuditEntry>>(await ReadArchivedAuditTrailAsync(store, id));
            Assert.Equal(PendingApprovalSerializer.Deserialize(rows[id]).AuditTrail.Select(Describe), archived.Select(Describe));
            Assert.Equal(4, archived.Count);
        }

        // Not readable as an approval: kept, not archived, until purged without the trail.
        foreach (string id in new[] { "missing", "twice" })
        {
            Assert.NotNull(await store.GetAsync(id));
            Assert.Null(await ReadArchivedAuditTrailAsync(store, id));
        }

        Assert.Equal(2, await PurgeAsync(store, Start.AddDays(1), keepAuditTrail: false));
        Assert.Empty((await store.ListAsync(new StateQuery())).Entries);
    }

    [Fact]
    public async Task Purge_WithoutAuditTrail_DeletesEverythingOfFinishedApprovals()
    {
        IStateStore store = await CreateStoreAsync();
        Bank bank = new(store);
        (string completed, string cancelled, string expired, string pending, _) = await bank.MakeOneOfEachAsync();

        Assert.Equal(3, await PurgeAsync(store, bank.Time.GetUtcNow().AddMilliseconds(1), keepAuditTrail: false));

        foreach (string id in new[] { completed, cancelled, expired })
        {
            Assert.Null(await store.GetAsync(id));
            Assert.Null(await ReadArchivedAuditTrailAsync(store, id));
        }

        Assert.NotNull(await store.GetAsync(pending));
    }

    [Fact]
    public async Task Purge_OnlyBeforeTheCutoff_AndManyInBatches()
    {
        IStateStore store = await CreateStoreAsync();
        Bank bank = new(store);
        List<string> old = [];
        for (int i = 0; i < 1203; i++)
        {
            string id = $"old{i:D4}";
            await store.TryCreateAsync(new StateEntry(id, "c", ApprovalStatus.Cancelled, Start, Start.AddDays(1), Start.AddMinutes(i % 7), 1, "{}"));
            old.Add(id);
        }

        await store.TryCreateAsync(new StateEntry("recent", "c", ApprovalStatus.Completed, Start, Start.AddDays(1), Start.AddHours(2), 1, "{}"));

        Assert.Equal(1203, await PurgeAsync(store, Start.AddHours(1), keepAuditTrail: false));

        Assert.Equal(["recent"], (await store.ListAsync(new StateQuery())).Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Purge_KeepingAuditTrail_LeavesUnreadableRecordsInPlace()
    {
        IStateStore store = await CreateStoreAsync();
        await store.TryCreateAsync(new StateEntry("broken", "c", ApprovalStatus.Completed, Start, Start.AddDays(1), Start, 1, "{\"not\":\"an approval\"}"));

        Assert.Equal(0, await PurgeAsync(store, Start.AddDays(1), keepAuditTrail: true));
        Assert.NotNull(await store.GetAsync("broken"));
        Assert.Equal(1, await PurgeAsync(store, Start.AddDays(1), keepAuditTrail: false));
    }

    private static string Describe(ApprovalAuditEntry e) =>
        $"{e.Sequence}|{e.Timestamp.ToUnixTimeMilliseconds()}|{e.Event}|{e.Actor}|{e.CallId}|{e.ToolName}|{e.Fingerprint}|{e.Arguments?.GetRawText()}|{e.Reason}|{e.PreviousHash}|{e.Hash}";

    /// <summary>
    /// Passes every call to a store, saying it keeps the conversation apart or not, and records the entries created: to see what
    /// the service wrote, or to make it write whole records (conversation inside) as it does for stores that do not.
    /// </summary>
    private sealed class ForwardingStore(IStateStore inner, bool storesHistorySeparately) : IStateStore
    {
        private readonly List<StateEntry> _created = [];

        public bool StoresHistorySeparately => storesHistorySeparately;

        public IReadOnlyList<StateEntry> Created
        {
            get
            {
                lock (_created)
                {
                    return [.. _created];
                }
            }
        }

        public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
        {
            bool created = await inner.TryCreateAsync(entry, cancellationToken);
            if (created)
            {
                lock (_created)
                {
                    _created.Add(entry);
                }
            }

            return created;
        }

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);
    }

    /// <summary>A gate over a scripted model and a transfer tool, on a fake clock, to make approvals in every state.</summary>
    private sealed class Bank
    {
        private readonly IChatClient _client;
        private readonly AIFunction _transfer;

        public Bank(IStateStore store)
        {
            Approvals = new ApprovalService(store, new ApprovalOptions
            {
                TimeProvider = Time,
                DefaultExpiration = TimeSpan.FromHours(1),
                Policies = { ApprovalPolicy.RequireApproval("transfer", "Transfers need a person.") },
            });
            ScriptedChatClient model = new(messages => messages[^1].Role == ChatRole.Tool
                ? ScriptedChatClient.Text("done")
                : ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = "zoë", ["amount"] = 500 })));
            _client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
            _transfer = AIFunctionFactory.Create((string to, decimal amount) => $"sent {amount} to {to}", "transfer", "Sends money.");
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public ApprovalService Approvals { get; }

        public ChatOptions Options(string conversation) =>
            new ChatOptions { Tools = ApprovalService.ProtectTools(_transfer) }.WithCallerContext(new CallerContext { ConversationId = conversation, UserId = "carol" });

        public async Task<string> PauseAsync(string conversation, string text = "transfer 500 to zoë")
        {
            PendingApprovalException pause = await Assert.ThrowsAsync<PendingApprovalException>(
                () => _client.GetResponseAsync([new ChatMessage(ChatRole.User, text)], Options(conversation)));
            return pause.Approval.Id;
        }

        public async Task<(string Completed, string Cancelled, string Expired, string Pending, string Decided)> MakeOneOfEachAsync()
        {
            Approver alice = new("alice");
            string expired = await PauseAsync("c-expired");
            Time.Advance(TimeSpan.FromHours(2));
            await Assert.ThrowsAsync<ApprovalExpiredException>(() => Approvals.DecideAsync(expired, "c-tr", ApprovalDecision.Approve(alice)));

            string completed = await PauseAsync("c-completed");
            await Approvals.DecideAsync(completed, "c-tr", ApprovalDecision.Approve(alice));
            await Approvals.ResumeAsync(completed, _client, Options("c-completed"));

            string cancelled = await PauseAsync("c-cancelled");
            await Approvals.CancelAsync(cancelled, alice, "Not needed.");

            string decided = await PauseAsync("c-decided");
            await Approvals.DecideAsync(decided, "c-tr", ApprovalDecision.Reject(alice, "No."));
            string pending = await PauseAsync("c-pending");
            Time.Advance(TimeSpan.FromMinutes(1));

            Assert.Equal(ApprovalStatus.Expired, (await Approvals.GetAsync(expired)).Status);
            Assert.Equal(ApprovalStatus.Completed, (await Approvals.GetAsync(completed)).Status);
            Assert.Equal(ApprovalStatus.Cancelled, (await Approvals.GetAsync(cancelled)).Status);
            return (completed, cancelled, expired, pending, decided);
        }
    }
}
