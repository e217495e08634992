using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// An approval read through <see cref="ApprovalService"/> keeps its history's JSON and builds the messages on first use,
/// whether the store keeps the conversation apart (<see cref="StateEntry.History"/>) or inside the record (a store without
/// <see cref="IStateStore.StoresHistorySeparately"/>). What must hold: nothing reads differently, a history that is not a
/// valid list of messages fails typed, and resume refuses it before anything is claimed or run.
/// </summary>
public sealed class DeferredHistoryTests
{
    private const string NotMessages = """[{"role":"user","contents":[{"$type":"no-such-content","text":"x"}]}]""";

    /// <summary>A bank over a store that keeps the conversation apart (<paramref name="apart"/>) or inside the record.</summary>
    private static TestBank Bank(bool apart) => new(store: apart ? new TamperableStore() : new RecordOnlyStore());

    /// <summary>Makes the stored conversation well-formed JSON that is not a list of messages (as a bad migration could).</summary>
    private static async Task BreakHistoryAsync(TestBank bank, string id, string history = NotMessages)
    {
        if (bank.Store is TamperableStore apart)
        {
            apart.OnRead = entry => entry.Id == id ? entry with { History = history } : entry;
            return;
        }

        StateEntry stored = (await bank.Store.GetAsync(id))!;
        JsonNode node = JsonNode.Parse(stored.Data)!;
        node["messages"] = JsonNode.Parse(history);
        Assert.True(await bank.Store.TryUpdateAsync(stored with { Version = stored.Version + 1, Data = node.ToJsonString() }, stored.Version));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadApproval_HasTheSameMessagesAsTheHeldConversation(bool apart)
    {
        TestBank bank = Bank(apart);
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;

        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);

        Assert.Equal(apart, (await bank.Store.GetAsync(pending.Id))!.History is not null);
        Assert.Equal(
            JsonSerializer.Serialize(pending.Messages, AIJsonUtilities.DefaultOptions),
            JsonSerializer.Serialize(read.Messages, AIJsonUtilities.DefaultOptions));
        Assert.Same(read.Messages, read.Messages); // built once
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HistoryThatIsNotMessages_DecisionsStillRead_MessagesFailTyped_ResumeRefusesBeforeTheClaim(bool apart)
    {
        TestBank bank = Bank(apart);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await BreakHistoryAsync(bank, pending.Id);
        StateEntry before = (await bank.Store.GetAsync(pending.Id))!;

        // The calls and the trail, which are what an approver decides on, read as before.
        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Decided, read.Status);
        Assert.Equal("c-tr", Assert.Single(read.Calls).CallId);
        ApprovalStateFormatException onUse = Assert.Throws<ApprovalStateFormatException>(() => read.Messages);
        Assert.Equal(pending.Id, onUse.ApprovalId);

        ApprovalStateFormatException onResume = await Assert.ThrowsAsync<ApprovalStateFormatException>(
            () => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));

        Assert.Equal(pending.Id, onResume.ApprovalId);
        Assert.Empty(bank.Transfers);
        StateEntry after = (await bank.Store.GetAsync(pending.Id))!;
        Assert.Equal(before.Version, after.Version); // not claimed: nothing was written
        Assert.Equal(before.Data, after.Data);
    }

    [Theory]
    [InlineData("[1 2]")]
    [InlineData("[] []")]
    [InlineData("{}")]
    [InlineData("")]
    [InlineData("[null]")]
    public async Task ConversationKeptApart_NotOneArrayOfMessages_FailsTypedOnUse_ResumeRunsNothing(string history)
    {
        TestBank bank = Bank(apart: true);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await BreakHistoryAsync(bank, pending.Id, history);

        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);
        Assert.Throws<ApprovalStateFormatException>(() => read.Messages);
        await Assert.ThrowsAsync<ApprovalStateFormatException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
        StateEntry stored = (await bank.Store.GetAsync(pending.Id))!;
        Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Deserialize(stored));
    }

    [Theory]
    [InlineData("[1 2]")]
    [InlineData("{}")]
    [InlineData("[] []")]
    public async Task ConversationKeptApart_NotOneArrayOfMessages_PublicSerializeOfTheReadApproval_FailsTyped(string history)
    {
        TestBank bank = Bank(apart: true);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await BreakHistoryAsync(bank, pending.Id, history);
        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);

        // Serialize writes a whole approval: it must not throw a raw JSON error, nor write one that cannot be read back.
        ApprovalStateFormatException exception = Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Serialize(read));
        Assert.Equal(pending.Id, exception.ApprovalId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HistoryThatIsNotMessages_PublicSerializeOfTheReadApproval_FailsTyped_NeverWritesAnUnreadableApproval(bool apart)
    {
        TestBank bank = Bank(apart);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await BreakHistoryAsync(bank, pending.Id);
        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);

        ApprovalStateFormatException exception = Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Serialize(read));
        Assert.Equal(pending.Id, exception.ApprovalId);
    }

    [Fact]
    public async Task HistoryThatIsNotMessages_PublicDeserialize_StillFailsAtOnce()
    {
        TestBank bank = Bank(apart: false);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await BreakHistoryAsync(bank, pending.Id);

        string data = (await bank.Store.GetAsync(pending.Id))!.Data;

        Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Deserialize(data));
    }

    [Fact]
    public async Task HistoryInTheRecordThatIsNotWellFormed_FailsWhenTheApprovalIsRead()
    {
        TestBank bank = Bank(apart: false);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry entry = (await bank.Store.GetAsync(pending.Id))!;
        int at = entry.Data.IndexOf("\"messages\":[", StringComparison.Ordinal) + "\"messages\":[".Length;
        string broken = string.Concat(entry.Data.AsSpan(0, at), "1 ", entry.Data.AsSpan(at)); // "[1 {...": a comma missing inside the array
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = 2, Data = broken }, 1));

        await Assert.ThrowsAsync<ApprovalStateFormatException>(() => bank.Approvals.GetAsync(pending.Id));
    }

    [Fact]
    public async Task HistoryInTheRecord_ReadAndSavedWithoutItsMessagesBuilt_KeptByteForByte()
    {
        TestBank bank = Bank(apart: false);
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        string atHold = JsonDocument.Parse((await bank.Store.GetAsync(pending.Id))!.Data).RootElement.GetProperty("messages").GetRawText();

        // Decide reads the approval and saves it without ever building its messages.
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "not today"));

        string decided = JsonDocument.Parse((await bank.Store.GetAsync(pending.Id))!.Data).RootElement.GetProperty("messages").GetRawText();
        Assert.Equal(atHold, decided);
    }

    [Fact]
    public async Task WithKey_ConversationKeptApartReplaced_RefusedAtTheRead()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.IntegrityKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 5)).ToArray();
        TestBank bank = new(options, new TamperableStore());
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        PendingApproval other = (await bank.SendAsync("transfer 200 to carol", false)).Pending;
        string otherHistory = (await bank.Store.GetAsync(other.Id))!.History!;

        // A well-formed conversation of another approval, moved into this one's column by someone without the key.
        await BreakHistoryAsync(bank, pending.Id, otherHistory);

        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.GetAsync(pending.Id));
        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Empty(bank.Transfers);
        Assert.Equal(ApprovalStatus.Pending, (await bank.Approvals.GetAsync(other.Id)).Status); // the untouched one still reads
    }

    [Fact]
    public async Task ConversationKeptApart_CopiedIntoAStoreThatKeepsEntriesWhole_SurvivesEveryChange()
    {
        // Approvals held over a store that keeps the conversation apart, then moved, entry by entry, into a store that does
        // not declare it (a store written before it existed, which keeps each entry it is handed and replaces it on update).
        TestBank source = Bank(apart: true);
        PendingApproval pending = (await source.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry moved = (await source.Store.GetAsync(pending.Id))!;
        Assert.NotNull(moved.History);
        WholeEntryStore target = new();
        Assert.True(await target.TryCreateAsync(moved));
        TestBank bank = new(store: target);

        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        // Nothing pending is lost: the conversation is still there after the change, and the approval resumes.
        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(
            JsonSerializer.Serialize(pending.Messages, AIJsonUtilities.DefaultOptions),
            JsonSerializer.Serialize(read.Messages, AIJsonUtilities.DefaultOptions));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Single(bank.Transfers);
    }

    [Fact]
    public async Task ConversationKeptApart_LongerThanMaxLengthWithItsRecord_RefusedTypedBeforeItIsParsed()
    {
        TestBank bank = Bank(apart: true);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry stored = (await bank.Store.GetAsync(pending.Id))!;
        string huge = string.Concat("[", new string(' ', PendingApprovalSerializer.MaxLength - stored.Data.Length - 1), "]"); // one over
        ((TamperableStore)bank.Store).OnRead = entry => entry with { History = huge };

        ApprovalStateFormatException error = await Assert.ThrowsAsync<ApprovalStateFormatException>(() => bank.Approvals.GetAsync(pending.Id));
        Assert.Contains("at most", error.Message, StringComparison.Ordinal);
        Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Deserialize(stored with { History = huge }));
    }

    [Fact]
    public async Task RecordAndConversationApart_BothHoldingMessages_Refused()
    {
        TestBank bank = Bank(apart: false);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry entry = (await bank.Store.GetAsync(pending.Id))!;

        Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Deserialize(entry with { History = "[]" }));
    }
}
