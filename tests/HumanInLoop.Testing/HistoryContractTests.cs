using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace HumanInLoop.Testing;

/// <summary>
/// Gradual automation end to end on a store, through <see cref="ApprovalService"/> and the gate: the automation report, replay,
/// standing grants (made, matched, expired, revoked) and the decision export. Each store's tests inherit this class and supply a
/// fresh, empty store that keeps call records and grants; the SQLite and PostgreSQL stores run it against a real file and server.
/// </summary>
public abstract partial class HistoryContractTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private static readonly Approver Alice = new("alice", ["approver"]);

    /// <summary>Creates a new, empty store (a new file, schema or database per call) that is an <see cref="ICallRecordStore"/> and an <see cref="IGrantStore"/>.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    /// <summary>Creates a second store object over the same storage as <paramref name="first"/>, or null if the store is process-local.</summary>
    protected virtual Task<IStateStore?> OpenSameStorageAsync(IStateStore first) => Task.FromResult<IStateStore?>(null);

    private sealed record Transfer(string To, decimal Amount);

    /// <summary>A gate over a scripted model: "transfer N to X" (held above 100), "balance N" (N allowed calls), "only delete" (denied).</summary>
    private sealed class Bank
    {
        public Bank(IStateStore store, FakeTimeProvider? time = null)
        {
            Time = time ?? new FakeTimeProvider(Start);
            Approvals = new ApprovalService(store, new ApprovalOptions
            {
                TimeProvider = Time,
                DefaultExpiration = TimeSpan.FromDays(1),
                Granters = { "approver" },
                Policies =
                {
                    ApprovalPolicy.Allow("check_balance"),
                    ApprovalPolicy.RequireApprovalWhen<Transfer>("transfer", t => t.Amount > 100, "Over $100."),
                    ApprovalPolicy.Deny("delete_account", "Never."),
                },
                ShadowPolicies = { ApprovalPolicy.Named("Looser", ApprovalPolicy.Create(c => c.ToolName == "transfer" && c.GetArguments<Transfer>().Amount > 1000 ? PolicyVerdict.RequireApproval("Big.") : PolicyVerdict.Allow)) },
            });
            ScriptedChatClient model = new(Script);
            Client = new ChatClientBuilder(model).UseFunctionInvocation().UseApprovalGate(Approvals).Build();
            Tools = ApprovalService.ProtectTools(
                AIFunctionFactory.Create((string to, decimal amount) => { Ran.Enqueue($"{to}:{amount.ToString(CultureInfo.InvariantCulture)}"); return "sent"; }, "transfer"),
                AIFunctionFactory.Create(() => { Ran.Enqueue("balance"); return 1000m; }, "check_balance"),
                AIFunctionFactory.Create(() => { Ran.Enqueue("delete"); return "deleted"; }, "delete_account"));
        }

        public FakeTimeProvider Time { get; }
        public ApprovalService Approvals { get; }
        public IChatClient Client { get; }
        public IList<AITool> Tools { get; }
        public ConcurrentQueue<string> Ran { get; } = new();

        private static ChatResponse Script(IReadOnlyList<ChatMessage> messages)
        {
            if (messages[^1].Role == ChatRole.Tool)
            {
                return ScriptedChatClient.Text("done");
            }

            string[] words = messages[^1].Text.Split(' ');
            return words[0] switch
            {
                "transfer" => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-tr", "transfer", new Dictionary<string, object?> { ["to"] = words[^1], ["amount"] = decimal.Parse(words[1], CultureInfo.InvariantCulture) })),
                "balance" => ScriptedChatClient.Calls([.. Enumerable.Range(0, int.Parse(words[1], CultureInfo.InvariantCulture)).Select(i => ScriptedChatClient.Call($"c-b{i}", "check_balance"))]),
                _ => ScriptedChatClient.Calls(ScriptedChatClient.Call("c-del", "delete_account")),
            };
        }

        /// <summary>Sends a message; returns the held approval, or null when the gate let the calls through.</summary>
        public async Task<PendingApproval?> SendAsync(string text, bool streaming, string userId = "carol")
        {
            ChatOptions options = new ChatOptions { Tools = Tools }.WithCallerContext(new CallerContext { ConversationId = "conv-" + userId, UserId = userId, TenantId = "t1" });
            try
            {
                if (streaming)
                {
                    await foreach (ChatResponseUpdate _ in Client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, text)], options))
                    {
                    }
                }
                else
                {
                    await Client.GetResponseAsync([new ChatMessage(ChatRole.User, text)], options);
                }

                return null;
            }
            catch (PendingApprovalException pending)
            {
                return pending.Approval;
            }
        }
    }

    /// <summary>Seeds: 1,100 allowed balance checks (more than a page of call records), a denied delete, held transfers approved (1 min), edited (2 min), rejected (4 min), cancelled, awaiting.</summary>
    private static async Task<(Bank Bank, string Rejected)> SeedAsync(IStateStore store)
    {
        Bank bank = new(store);
        for (int i = 0; i < 22; i++)
        {
            Assert.Null(await bank.SendAsync("balance 50", streaming: i % 2 == 0));
        }

        Assert.Null(await bank.SendAsync("only delete", streaming: false));
        bank.Time.Advance(TimeSpan.FromMinutes(1));
        string[] ids = new string[5];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (await bank.SendAsync($"transfer {200 + i} to p{i}", streaming: i % 2 == 1))!.Id;
        }

        bank.Time.Advance(TimeSpan.FromMinutes(1));
        await bank.Approvals.DecideAsync(ids[0], "c-tr", ApprovalDecision.Approve(Alice));
        bank.Time.Advance(TimeSpan.FromMinutes(1));
        await bank.Approvals.DecideAsync(ids[1], "c-tr", ApprovalDecision.ApproveWithArguments(Alice, new Dictionary<string, object?> { ["to"] = "p1", ["amount"] = 150m }));
        bank.Time.Advance(TimeSpan.FromMinutes(2));
        await bank.Approvals.DecideAsync(ids[2], "c-tr", ApprovalDecision.Reject(Alice, "Unknown payee."));
        await bank.Approvals.CancelAsync(ids[3], Alice, "Withdrawn.");
        await bank.Approvals.FlushCallRecordsAsync();
        return (bank, ids[2]);
    }

    [Fact]
    public async Task Report_EveryOutcomeAndTimes_FromTheStore()
    {
        IStateStore store = await CreateStoreAsync();
        (Bank bank, _) = await SeedAsync(store);

        AutomationReport report = await new ApprovalService(store).History.ReportAsync();

        AutomationFigures t = report.Total;
        Assert.Equal((1106L, 1100L, 1L, 1L, 1L, 1L, 1L, 1L), (t.Seen, t.Allowed, t.Denied, t.Approved, t.Edited, t.Rejected, t.Cancelled, t.Awaiting));
        Assert.Equal((TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4)), (t.MedianTimeToDecision, t.P90TimeToDecision));
        Assert.Equal(1100, report.ByTool["check_balance"].Allowed);
        Assert.Equal(5, report.ByPolicy["RequireApprovalWhen(transfer)"].SentToPerson);
        Assert.Equal((1106L, 1100L), (report.Shadow.Compared, report.Shadow.Agreed));
        Assert.Equal(1, report.Shadow.Disagreements["Deny → Allow"]);
        Assert.Equal(5, report.Shadow.Disagreements["RequireApproval → Allow"]);
        AutomationReport window = await bank.Approvals.History.ReportAsync(new HistoryQuery { From = Start + TimeSpan.FromMinutes(1), ToolName = "transfer" });
        Assert.Equal((5L, 0L), (window.Total.Seen, window.Total.Allowed));
        Assert.Equal(1101, (await bank.Approvals.History.ReportAsync(new HistoryQuery { Before = Start + TimeSpan.FromMinutes(1) })).Total.Seen);
    }

    [Fact]
    public async Task Replay_ListsFalseApprovalWithReason_AndChangesNothing()
    {
        IStateStore store = await CreateStoreAsync();
        (Bank bank, string rejected) = await SeedAsync(store);
        string before = await DumpAsync(store);
        int ran = bank.Ran.Count;
        List<ReplayProgress> progress = [];

        ReplayReport report = await bank.Approvals.History.ReplayAsync(
            [ApprovalPolicy.Allow("transfer", "check_balance"), ApprovalPolicy.Deny("delete_account", "Never.")], progress: new SyncProgress(progress.Add));

        Assert.Equal((1106L, 1105L, 1L), (report.Calls, report.WouldAllow, report.WouldDeny));
        ReplayFinding falseApproval = Assert.Single(report.FalseApprovals, f => f.Call.Outcome == CallOutcome.Rejected);
        Assert.Equal((rejected, "Unknown payee."), (falseApproval.Call.ApprovalId, falseApproval.Call.DecisionReason));
        Assert.Equal(2, report.FalseApprovalCount);
        Assert.Equal([1000L, 1106L], progress.Select(p => p.Replayed));
        Assert.Equal(before, await DumpAsync(store));
        Assert.Equal(ran, bank.Ran.Count);
    }

    [Fact]
    public async Task Grants_MadeMatchedExpiredAndRevoked_ThroughTheStore()
    {
        IStateStore store = await CreateStoreAsync();
        Bank bank = new(store);
        PendingApproval held = (await bank.SendAsync("transfer 150 to bob", streaming: false))!;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Approve(Alice) with
        {
            Grant = new GrantTerms(GrantScope.User, TimeSpan.FromHours(8), GrantArgumentBound.Equal("to", "bob"), GrantArgumentBound.AtMost("amount", 200m)),
        });
        ApprovalGrant grant = Assert.Single(await bank.Approvals.Grants.ListAsync().ToListAsync());
        Assert.Equal((grant.Id, "alice", held.Id), ((await bank.Approvals.Grants.GetAsync(grant.Id)).Id, grant.GrantedBy, grant.ApprovalId));

        Assert.Null(await bank.SendAsync("transfer 200 to bob", streaming: true));
        Assert.NotNull(await bank.SendAsync("transfer 201 to bob", streaming: false));
        Assert.NotNull(await bank.SendAsync("transfer 150 to bob", streaming: false, userId: "erin"));
        Assert.Equal(["bob:200"], bank.Ran.ToArray());
        RecordedCall byGrant = Assert.Single(await bank.Approvals.History.ReadAsync().ToListAsync(), c => c.Outcome == CallOutcome.AllowedByGrant);
        Assert.Equal((grant.Id, "alice"), (byGrant.GrantId, byGrant.DecidedBy));
        Assert.Equal(1, (await bank.Approvals.History.ReportAsync()).Total.AllowedByGrant);

        // A second service (over a second store object when the store has one) revokes; the first sees it at once.
        IStateStore other = await OpenSameStorageAsync(store) ?? store;
        ApprovalService otherService = new(other, new ApprovalOptions { TimeProvider = bank.Time, Granters = { "approver" } });
        bank.Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await bank.SendAsync("transfer 120 to bob", streaming: false));
        await otherService.Grants.RevokeAsync(grant.Id, new Approver("frank", ["approver"]), "Audit.");
        Assert.NotNull(await bank.SendAsync("transfer 120 to bob", streaming: true));
        ApprovalGrant revoked = await bank.Approvals.Grants.GetAsync(grant.Id);
        Assert.Equal(("frank", "Audit.", Start + TimeSpan.FromHours(1)), (revoked.RevokedBy, revoked.RevokeReason, revoked.RevokedAt));
        Assert.Empty(await bank.Approvals.Grants.ListAsync(new GrantQuery { ActiveAt = bank.Time.GetUtcNow() }).ToListAsync());
        await Assert.ThrowsAsync<GrantNotFoundException>(() => bank.Approvals.Grants.RevokeAsync("grt_none", Alice, "x"));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.Grants.RevokeAsync(grant.Id, new Approver("mallory"), "x"));
    }

    [Fact]
    public async Task Grants_Expire_OnTheStoresClock()
    {
        IStateStore store = await CreateStoreAsync();
        Bank bank = new(store);
        PendingApproval held = (await bank.SendAsync("transfer 150 to bob", streaming: false))!;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Approve(Alice) with { Grant = new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(2)) });

        bank.Time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Null(await bank.SendAsync("transfer 500 to dave", streaming: false, userId: "erin"));
        bank.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(await bank.SendAsync("transfer 500 to dave", streaming: false, userId: "erin"));
        Assert.Equal(["dave:500"], bank.Ran.ToArray());
    }

    [Fact]
    public async Task Export_JsonLines_DropsFields_AndNamesBrokenChain()
    {
        IStateStore store = await CreateStoreAsync();
        (Bank bank, string rejected) = await SeedAsync(store);
        StateEntry entry = (await store.GetAsync(rejected))!;
        JsonNode node = JsonNode.Parse(entry.Data)!;
        node["auditTrail"]!.AsArray()[^1]!["actor"] = "mallory";
        Assert.True(await store.TryUpdateAsync(entry with { Version = entry.Version + 1, Data = node.ToJsonString() }, entry.Version));

        using MemoryStream stream = new();
        DecisionExportResult result = await bank.Approvals.History.ExportAsync(stream, options: new DecisionExportOptions { DropArguments = new HashSet<string> { "to" } });

        string[] lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1105, result.Exported);
        Assert.Equal(1105, lines.Length);
        UnreadableApproval broken = Assert.Single(result.Unreadable);
        Assert.Equal(rejected, broken.ApprovalId);
        Assert.Contains("entry", broken.Problem, StringComparison.Ordinal);
        JsonElement[] transfers = [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).Where(e => e.GetProperty("toolName").GetString() == "transfer")];
        Assert.Equal(4, transfers.Length);
        Assert.All(transfers, e => Assert.False(e.GetProperty("arguments").TryGetProperty("to", out _)));
        Assert.All(transfers, e => Assert.True(e.GetProperty("arguments").TryGetProperty("amount", out _)));
    }

    private static async Task<string> DumpAsync(IStateStore store)
    {
        StringBuilder dump = new();
        StateQuery approvals = new() { PageSize = 100 };
        do
        {
            StatePage page = await store.ListAsync(approvals);
            foreach (StateEntry entry in page.Entries)
            {
                StateEntry full = (await store.GetAsync(entry.Id))!;
                dump.Append(full.Id).Append(full.Version).Append(full.Status).Append(full.Data).Append(full.History).AppendLine();
            }

            approvals = approvals with { ContinuationToken = page.ContinuationToken };
        }
        while (approvals.ContinuationToken is not null);

        CallRecordQuery calls = new() { PageSize = 1000 };
        do
        {
            CallRecordPage page = await ((ICallRecordStore)store).ListCallRecordsAsync(calls);
            foreach (CallRecordEntry entry in page.Entries)
            {
                dump.Append(entry).AppendLine();
            }

            calls = calls with { ContinuationToken = page.ContinuationToken };
        }
        while (calls.ContinuationToken is not null);

        return dump.ToString();
    }

    private sealed class SyncProgress(Action<ReplayProgress> report) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) => report(value);
    }
}
