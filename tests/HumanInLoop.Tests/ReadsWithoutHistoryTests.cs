using System.Text;
using System.Text.RegularExpressions;
using HumanInLoop.Internal;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// Steps that do not need the conversation read approvals without it (issue 18, goal 2), and nothing is lost for it: the seal is
/// still verified (the record carries the conversation's digest), an approval read without its conversation never shows an empty
/// one, never loses it on a write, and a store written before the read existed keeps working.
/// </summary>
public sealed partial class ReadsWithoutHistoryTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static ApprovalOptions Keyed()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.IntegrityKey = Key;
        return options;
    }

    /// <summary>An approval held over a counting in-memory store, seen by the service through <paramref name="wrap"/> if given.</summary>
    private static async Task<(TestBank Bank, CountingStore Store, string Id)> HeldAsync(ApprovalOptions? options = null, Func<CountingStore, IStateStore>? wrap = null)
    {
        CountingStore store = new(new InMemoryStateStore());
        TestBank bank = new(options, wrap?.Invoke(store) ?? store);
        string id = (await bank.SendAsync("transfer 500 to bob", false)).Pending.Id;
        return (bank, store, id);
    }

    private static async Task ReplaceAsync(CountingStore store, string id, Func<StateEntry, StateEntry> change)
    {
        StateEntry entry = (await store.GetAsync(id))!;
        Assert.True(await store.TryUpdateAsync(change(entry) with { Version = entry.Version + 1 }, entry.Version));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Decide_ReadsNoConversation_AndTheWholeApprovalStillCompletes(bool keyed)
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync(keyed ? Keyed() : null);

        store.Step = "decide";
        PendingApproval decided = await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        store.Step = "";

        Assert.Equal(["Get Pending", "Update Decided"], store.In("decide").Select(c => c.ToString()));
        // What the decision returns was read without its conversation: asking for its messages fails loudly, never an empty list.
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => decided.Messages);
        Assert.Contains("GetAsync", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => PendingApprovalSerializer.Serialize(decided));

        // The write kept the stored conversation, and the resume reads it whole.
        PendingApproval read = await bank.Approvals.GetAsync(id);
        Assert.Equal("transfer 500 to bob", read.Messages[0].Text);
        ResumeResult result = await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions());
        Assert.Equal(ApprovalStatus.Completed, result.Approval.Status);
        Assert.Single(bank.Transfers);
        Assert.Equal("transfer 500 to bob", bank.Model.Requests[^1][0].Text);
    }

    [Fact]
    public async Task WithKey_ConversationChangedInTheStore_RefusedAtTheResume_BeforeAnythingRuns()
    {
        HistoryRewritingStore rewriting = null!;
        (TestBank bank, _, string id) = await HeldAsync(Keyed(), s => rewriting = new HistoryRewritingStore(s));
        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        // Someone with write access to the store rewrites the conversation kept apart (the record and its seal are untouched).
        rewriting.Rewrite = history => history.Replace("transfer 500 to bob", "transfer 500 to eve", StringComparison.Ordinal);

        ApprovalIntegrityException error = await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions()));
        Assert.Contains("conversation", error.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Transfers);
        Assert.Empty(bank.Model.Requests.Skip(1));
    }

    [Fact]
    public async Task WithKey_RecordChangedInTheStore_RefusedOnAReadWithoutTheConversation()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync(Keyed());
        await ReplaceAsync(store, id, e => e with { Data = e.Data.Replace("\"amount\":500", "\"amount\":50000", StringComparison.Ordinal) });

        store.Step = "decide";
        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));

        // Refused at the read without the conversation (the record names its digest, so its seal must match alone), as the
        // expirer's and the guard's reads would be; nothing written.
        Assert.Equal(["Get Pending"], store.In("decide").Select(c => c.ToString()));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task WithKey_RecordSealedTheOldWay_IsReadWholeToBeVerified_ThenDecidesAndResumes()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync(Keyed());
        await ReplaceAsync(store, id, OldSeal);

        store.Step = "decide";
        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        store.Step = "";

        // Not verifiable without its conversation: read again, whole (never skipped); saved, it carries the digest from then on.
        Assert.Equal(["Get Pending", "Get Pending +conversation", "Update Decided"], store.In("decide").Select(c => c.ToString()));
        StateEntry saved = (await store.GetWithoutHistoryAsync(id))!;
        Assert.Matches("\"historyApart\":\\{\"length\":[0-9]+,\"sha256\":\"[0-9a-f]{64}\"\\}", saved.Data);

        ResumeResult result = await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions());
        Assert.Equal(ApprovalStatus.Completed, result.Approval.Status);
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task WithKey_RecordSealedTheOldWay_AndChanged_IsStillRefused()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync(Keyed());
        await ReplaceAsync(store, id, e => OldSeal(e) is var old ? old with { Data = old.Data.Replace("\"amount\":500", "\"amount\":50000", StringComparison.Ordinal) } : e);

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice)));
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task WithoutKey_RecordsCarryTheConversationsLengthOnly_AndReadAsBefore()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync();
        StateEntry held = (await store.GetAsync(id))!;

        Assert.Contains($"\"historyApart\":{{\"length\":{held.History!.Length}}}", held.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256", held.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("seal", held.Data, StringComparison.Ordinal);
        // Written whole (an export), an approval carries its messages and no summary of them.
        Assert.DoesNotContain("historyApart", PendingApprovalSerializer.Serialize(await bank.Approvals.GetAsync(id)), StringComparison.Ordinal);

        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions())).Approval.Status);
    }

    [Fact]
    public async Task WithoutKey_RecordWrittenBeforeSummaries_IsReadWholeByADecision()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync();
        await ReplaceAsync(store, id, e => e with { Data = WithoutSummary(e.Data) });

        store.Step = "decide";
        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        Assert.Equal(["Get Pending", "Get Pending +conversation", "Update Decided"], store.In("decide").Select(c => c.ToString()));
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions())).Approval.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StoreWrittenBeforeTheReadWithoutHistory_StillWorks_ReadingWhole(bool keyed)
    {
        // ForwardingStore implements neither GetWithoutHistoryAsync nor IncludeHistory: its reads bring the conversation back.
        ForwardingStore old = null!;
        (TestBank bank, CountingStore store, string id) = await HeldAsync(keyed ? Keyed() : null, s => old = new ForwardingStore(s, storesHistorySeparately: true));

        store.Step = "decide";
        PendingApproval decided = await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        Assert.Equal(["Get Pending +conversation", "Update Decided"], store.In("decide").Select(c => c.ToString()));
        Assert.Equal("transfer 500 to bob", decided.Messages[0].Text); // it came back whole, so it is shown
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions())).Approval.Status);
        Assert.Single(bank.Transfers);
        Assert.NotNull((await old.GetAsync(id))!.History);
    }

    [Fact]
    public async Task EditedArguments_AreJudgedWithTheConversation()
    {
        (TestBank bank, CountingStore store, string id) = await HeldAsync();

        store.Step = "edit";
        await bank.Approvals.DecideAsync(id, "c-tr", ApprovalDecision.ApproveWithArguments(TestBank.Alice, new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 400m }));

        Assert.Equal("Get Pending +conversation", store.In("edit")[0].ToString());
    }

    /// <summary>A store whose conversations someone rewrites (<see cref="Rewrite"/>) after they were written; it implements every read.</summary>
    private sealed class HistoryRewritingStore(IStateStore inner) : IStateStore
    {
        public Func<string, string>? Rewrite { get; set; }

        public bool StoresHistorySeparately => inner.StoresHistorySeparately;

        public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => inner.TryCreateAsync(entry, cancellationToken);

        public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => Changed(await inner.GetAsync(id, cancellationToken));

        public Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default) => inner.GetWithoutHistoryAsync(id, cancellationToken);

        public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
            inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

        public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
        {
            StatePage page = await inner.ListAsync(query, cancellationToken);
            return page with { Entries = [.. page.Entries.Select(e => Changed(e)!)] };
        }

        private StateEntry? Changed(StateEntry? entry) =>
            entry?.History is { } history && Rewrite is { } rewrite ? entry with { History = rewrite(history) } : entry;
    }

    /// <summary>The record as sealed before records carried their conversation's digest: no summary, sealed with the conversation.</summary>
    private static StateEntry OldSeal(StateEntry entry)
    {
        string unsealed = Regex.Replace(entry.Data, ",\"seal\":\"[0-9a-f]{64}\"}$", "}");
        string json = WithoutSummary(unsealed);
        Assert.NotEqual(entry.Data, json);
        string seal = Integrity.RecordSeal(json, Key, Encoding.UTF8.GetBytes(entry.History!));
        return entry with { Data = string.Concat(json.AsSpan(0, json.Length - 1), ",\"seal\":\"", seal, "\"}") };
    }

    private static string WithoutSummary(string json)
    {
        string without = Regex.Replace(json, ",\"historyApart\":\\{[^}]*\\}", "");
        Assert.NotEqual(json, without);
        return without;
    }
}
