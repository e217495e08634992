using System.Security.Cryptography;
using System.Text.RegularExpressions;
using HumanInLoop.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>Tenant isolation (issue 17): a tenant's service and a tenant's approver see nothing of another tenant, and what they
/// cannot see answers exactly like what does not exist.</summary>
public sealed class TenantIsolationTests
{
    private static TestBank Bank()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Granters.Add("approver");
        return new TestBank(options);
    }

    private static ChatOptions Caller(TestBank bank, string tenantId, string conversationId) =>
        new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance, bank.Deposit, bank.DeleteAccount) }
            .WithCallerContext(new CallerContext { ConversationId = conversationId, UserId = "carol", TenantId = tenantId });

    /// <summary>Holds one transfer for tenant t1 and one for t2.</summary>
    private static async Task<(PendingApproval Mine, PendingApproval Theirs)> HoldBothAsync(TestBank bank)
    {
        PendingApproval mine = (await bank.SendAsync("transfer 150 to bob", streaming: false, Caller(bank, "t1", "conv-a"))).Pending;
        PendingApproval theirs = (await bank.SendAsync("transfer 170 to dave", streaming: false, Caller(bank, "t2", "conv-b"))).Pending;
        return (mine, theirs);
    }

    /// <summary>Runs <paramref name="action"/> on an unknown id and on another tenant's id: both must fail the same way, same message but the id.</summary>
    private static async Task AssertLikeUnknownAsync<TException>(string otherId, Func<string, Task> action)
        where TException : Exception
    {
        TException unknown = await Assert.ThrowsAsync<TException>(() => action("apr_doesNotExist0000000"));
        TException other = await Assert.ThrowsAsync<TException>(() => action(otherId));
        Assert.Equal(unknown.Message.Replace("apr_doesNotExist0000000", "{id}", StringComparison.Ordinal), other.Message.Replace(otherId, "{id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForTenant_ListReadDecideCancelResume_SeeNothingOfAnotherTenant()
    {
        TestBank bank = Bank();
        (PendingApproval mine, PendingApproval theirs) = await HoldBothAsync(bank);
        ApprovalService t1 = bank.Approvals.ForTenant("t1");

        Assert.Equal("t1", t1.TenantId);
        Assert.Null(bank.Approvals.TenantId);
        Assert.Same(t1, bank.Approvals.ForTenant("t1"));
        Assert.Equal([mine.Id], (await t1.ListAsync(new StateQuery())).Approvals.Select(a => a.Id));
        Assert.Equal([mine.Id], (await t1.ListAsync(new StateQuery { Status = ApprovalStatus.Pending, PageSize = 1 })).Approvals.Select(a => a.Id));
        Assert.Empty((await t1.ListAsync(new StateQuery { TenantId = "t2" })).Approvals);
        Assert.Equal(2, (await bank.Approvals.ListAsync(new StateQuery())).Approvals.Count);

        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.GetAsync(id));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok")));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.CancelAsync(id, TestBank.Alice, "no"));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.ResolveInDoubtAsync(id, "c-tr", TestBank.Alice, true, "seen"));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.ResumeAsync(id, bank.Client, Caller(bank, "t1", "conv-b")));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => t1.ResumePlanAsync(id, [bank.Transfer]));
        ToolApprovalRequestContent request = Assert.Single(ApprovalService.CreateApprovalRequests(theirs));
        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => t1.ApplyApprovalResponseAsync(request.CreateResponse(approved: true), TestBank.Alice));

        // Nothing of theirs changed, nothing ran; their own service still decides and resumes it.
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(theirs.Id)).Status);
        Assert.Empty(bank.Transfers);
        await bank.Approvals.ForTenant("t2").DecideAsync(theirs.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok"));
        await bank.Approvals.ForTenant("t2").ResumeAsync(theirs.Id, bank.Client, Caller(bank, "t2", "conv-b"));
        Assert.Equal([("dave", 170m)], bank.Transfers.Select(t => (t.To, t.Amount)));

        // Their own approval works as before through the tenant's service.
        await t1.DecideAsync(mine.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "no"));
        Assert.Equal(ApprovalStatus.Decided, (await t1.GetAsync(mine.Id)).Status);
    }

    [Fact]
    public async Task ForTenant_ExpiresOnlyItsOwnApprovals()
    {
        TestBank bank = Bank();
        (PendingApproval mine, PendingApproval theirs) = await HoldBothAsync(bank);
        bank.Time.Advance(TimeSpan.FromDays(30));

        Assert.Equal(1, await bank.Approvals.ForTenant("t1").ExpireDueAsync());

        Assert.Equal(ApprovalStatus.Expired, (await bank.Approvals.GetAsync(mine.Id)).Status);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(theirs.Id)).Status);
    }

    [Fact]
    public async Task ForTenant_GrantsHistoryExportReplayAndReport_HoldOnlyTheTenantsOwn()
    {
        TestBank bank = Bank();
        (PendingApproval mine, PendingApproval theirs) = await HoldBothAsync(bank);
        GrantTerms terms = new(GrantScope.Tenant, TimeSpan.FromHours(8));
        await bank.Approvals.DecideAsync(mine.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok") with { Grant = terms });
        await bank.Approvals.DecideAsync(theirs.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok") with { Grant = terms });
        ApprovalGrant theirGrant = Assert.Single(await bank.Approvals.Grants.ListAsync(new GrantQuery { TenantId = "t2" }).ToListAsync());
        ApprovalService t1 = bank.Approvals.ForTenant("t1");

        ApprovalGrant myGrant = Assert.Single(await t1.Grants.ListAsync().ToListAsync());
        Assert.Equal("t1", myGrant.TenantId);
        Assert.Empty(await t1.Grants.ListAsync(new GrantQuery { TenantId = "t2" }).ToListAsync());
        await AssertLikeUnknownAsync<GrantNotFoundException>(theirGrant.Id, id => t1.Grants.GetAsync(id));
        await AssertLikeUnknownAsync<GrantNotFoundException>(theirGrant.Id, id => t1.Grants.RevokeAsync(id, TestBank.Alice, "no"));
        Assert.Null((await bank.Approvals.Grants.GetAsync(theirGrant.Id)).RevokedAt);

        List<RecordedCall> history = await t1.History.ReadAsync().ToListAsync();
        Assert.NotEmpty(history);
        Assert.All(history, c => Assert.Equal("t1", c.Context.TenantId));
        Assert.Contains(await bank.Approvals.History.ReadAsync().ToListAsync(), c => c.Context.TenantId == "t2");
        Assert.Empty(await t1.History.ReadAsync(new HistoryQuery { TenantId = "t2" }).ToListAsync());

        using MemoryStream export = new();
        DecisionExportResult exported = await t1.History.ExportAsync(export);
        string text = System.Text.Encoding.UTF8.GetString(export.ToArray());
        Assert.Equal(history.Count(c => !c.IsAutomated), exported.Exported);
        Assert.DoesNotContain(theirs.Id, text, StringComparison.Ordinal);
        Assert.DoesNotContain("dave", text, StringComparison.Ordinal);

        AutomationReport report = await t1.History.ReportAsync();
        Assert.Equal(history.Count, report.Total.Seen);
        ReplayReport replay = await t1.History.ReplayAsync([ApprovalPolicy.Allow("transfer")]);
        Assert.Equal(history.Count, replay.Calls);
    }

    [Fact]
    public async Task ApproverOfATenant_OnAnotherTenantsApprovalOrGrant_IsAnsweredAsNotFound()
    {
        TestBank bank = Bank();
        (PendingApproval mine, PendingApproval theirs) = await HoldBothAsync(bank);
        Approver aliceOfT1 = new("alice", ["approver"]) { TenantId = "t1" };

        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(aliceOfT1, "ok")));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => bank.Approvals.CancelAsync(id, aliceOfT1, "no"));
        await AssertLikeUnknownAsync<ApprovalNotFoundException>(theirs.Id, id => bank.Approvals.ResolveInDoubtAsync(id, "c-tr", aliceOfT1, true, "seen"));
        ToolApprovalRequestContent request = Assert.Single(ApprovalService.CreateApprovalRequests(theirs));
        await Assert.ThrowsAsync<UnmatchedApprovalResponseException>(() => bank.Approvals.ApplyApprovalResponseAsync(request.CreateResponse(approved: true), aliceOfT1));
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(theirs.Id)).Status);

        await bank.Approvals.DecideAsync(theirs.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice, "ok") with { Grant = new GrantTerms(GrantScope.Tenant, TimeSpan.FromHours(1)) });
        ApprovalGrant theirGrant = Assert.Single(await bank.Approvals.Grants.ListAsync().ToListAsync());
        await AssertLikeUnknownAsync<GrantNotFoundException>(theirGrant.Id, id => bank.Approvals.Grants.RevokeAsync(id, aliceOfT1, "no"));

        // Their own tenant's approval: decided as ever.
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.DecideAsync(mine.Id, "c-tr", ApprovalDecision.Approve(aliceOfT1, "ok"))).Status);
        Assert.Throws<ArgumentException>(() => new Approver("x") { TenantId = " " });
    }

    [Fact]
    public async Task ForTenant_RefusesToWidenOrToHoldForAnotherTenant()
    {
        TestBank bank = Bank();
        ApprovalService t1 = bank.Approvals.ForTenant("t1");

        Assert.Throws<InvalidOperationException>(() => t1.ForTenant("t2"));
        Assert.Same(t1, t1.ForTenant("t1"));
        Assert.Throws<ArgumentException>(() => bank.Approvals.ForTenant(" "));

        PlannedAction transfer = new("transfer", System.Text.Json.JsonElement.Parse("""{"to":"bob","amount":500}"""));
        await Assert.ThrowsAsync<InvalidOperationException>(() => t1.RunPlanAsync([transfer], [bank.Transfer], new CallerContext { TenantId = "t2" }));
        Assert.Empty((await bank.Approvals.ListAsync(new StateQuery())).Approvals);
        PlanResult held = await t1.RunPlanAsync([transfer], [bank.Transfer], new CallerContext { TenantId = "t1" });
        Assert.Equal("t1", (await bank.Approvals.GetAsync(held.PendingApproval!.Id)).Context.TenantId);
    }

    [Fact]
    public async Task StoredTenantColumn_NamingAnotherTenantThanTheSealedRecord_IsRefusedAsTampering()
    {
        TestBank bank = Bank();
        (PendingApproval mine, _) = await HoldBothAsync(bank);
        StateEntry stored = (await bank.Store.GetAsync(mine.Id))!;
        Assert.Equal("t1", stored.TenantId);
        Assert.True(await bank.Store.TryUpdateAsync(stored with { TenantId = "t2", Version = stored.Version + 1 }, stored.Version));

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ForTenant("t2").GetAsync(mine.Id));
        await Assert.ThrowsAsync<ApprovalNotFoundException>(() => bank.Approvals.ForTenant("t1").GetAsync(mine.Id));
    }

    [Fact]
    public async Task HistoryQueryTenant_IsPutIntoTheStoresQuery_NotFilteredAfterReading()
    {
        QueryRecordingStore store = new();
        TestBank bank = new(TestBank.DefaultOptions(), store);
        await HoldBothAsync(bank);
        store.Queries.Clear(); // the gate's own listings while holding

        List<RecordedCall> calls = await bank.Approvals.History.ReadAsync(new HistoryQuery { TenantId = "t1" }).ToListAsync();

        Assert.Equal("t1", Assert.Single(calls).Context.TenantId);
        Assert.NotEmpty(store.Queries);
        Assert.All(store.Queries, q => Assert.Equal("t1", q.TenantId));
    }

    /// <summary>An in-memory store that records what each listing asked for.</summary>
    private sealed class QueryRecordingStore : IStateStore
    {
        private readonly InMemoryStateStore _inner = new();

        public System.Collections.Concurrent.ConcurrentQueue<StateQuery> Queries { get; } = new();

        public bool StoresHistorySeparately => true;

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => _inner.TryCreateAsync(entry, cancellationToken);

        public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => _inner.GetAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            _inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
        {
            Queries.Enqueue(query);
            return _inner.ListAsync(query, cancellationToken);
        }
    }

    [Fact]
    public void ApprovalIds_Carry128RandomBits_FromACryptographicGenerator()
    {
        const int count = 20_000;
        HashSet<string> ids = new(StringComparer.Ordinal);
        int[] ones = new int[128];
        for (int i = 0; i < count; i++)
        {
            string id = ApprovalIds.New("apr_");
            Assert.Matches(new Regex("^apr_[A-Za-z0-9_-]{22}$"), id);
            Assert.True(ids.Add(id));
            byte[] bits = Convert.FromBase64String(id[4..].Replace('-', '+').Replace('_', '/') + "==");
            for (int b = 0; b < 128; b++)
            {
                ones[b] += (bits[b / 8] >> (b % 8)) & 1;
            }
        }

        // Every one of the 128 bits is a coin flip (a GUID's version bits, a clock or a counter would sit far outside): 10 sigma.
        Assert.All(ones, n => Assert.InRange(n, count * 45 / 100, count * 55 / 100));
        Assert.Contains(nameof(RandomNumberGenerator), File.ReadAllText(SourcePath("src/HumanInLoop/Internal/ApprovalIds.cs")), StringComparison.Ordinal);
    }

    private static string SourcePath(string relative)
    {
        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HumanInLoop.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory!.FullName, relative);
    }
}
