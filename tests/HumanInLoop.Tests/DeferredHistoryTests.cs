using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// An approval read through <see cref="ApprovalService"/> keeps its history's JSON and builds the messages on first use. What
/// must hold: nothing reads differently, a history that is not a valid list of messages still fails typed, and resume
/// refuses it before anything is claimed or run.
/// </summary>
public sealed class DeferredHistoryTests
{
    /// <summary>Replaces the stored history with well-formed JSON that is not a list of messages (as a bad migration could).</summary>
    private static async Task BreakHistoryAsync(TestBank bank, string id)
    {
        StateEntry entry = (await bank.Store.GetAsync(id))!;
        JsonNode node = JsonNode.Parse(entry.Data)!;
        node["messages"] = JsonNode.Parse("""[{"role":"user","contents":[{"$type":"no-such-content","text":"x"}]}]""");
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = entry.Version + 1, Data = node.ToJsonString() }, entry.Version));
    }

    [Fact]
    public async Task ReadApproval_HasTheSameMessagesAsTheHeldConversation()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;

        PendingApproval read = await bank.Approvals.GetAsync(pending.Id);

        Assert.Equal(
            JsonSerializer.Serialize(pending.Messages, AIJsonUtilities.DefaultOptions),
            JsonSerializer.Serialize(read.Messages, AIJsonUtilities.DefaultOptions));
        Assert.Same(read.Messages, read.Messages); // built once
    }

    [Fact]
    public async Task HistoryThatIsNotMessages_DecisionsStillRead_MessagesFailTyped_ResumeRefusesBeforeTheClaim()
    {
        TestBank bank = new();
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

    [Fact]
    public async Task HistoryThatIsNotMessages_PublicDeserialize_StillFailsAtOnce()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        await BreakHistoryAsync(bank, pending.Id);

        string data = (await bank.Store.GetAsync(pending.Id))!.Data;

        Assert.Throws<ApprovalStateFormatException>(() => PendingApprovalSerializer.Deserialize(data));
    }

    [Fact]
    public async Task HistoryThatIsNotWellFormed_FailsWhenTheApprovalIsRead()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", false)).Pending;
        StateEntry entry = (await bank.Store.GetAsync(pending.Id))!;
        int at = entry.Data.IndexOf("\"messages\":[", StringComparison.Ordinal) + "\"messages\":[".Length;
        string broken = string.Concat(entry.Data.AsSpan(0, at), "1 ", entry.Data.AsSpan(at)); // "[1 {...": a comma missing inside the array
        Assert.True(await bank.Store.TryUpdateAsync(entry with { Version = 2, Data = broken }, 1));

        await Assert.ThrowsAsync<ApprovalStateFormatException>(() => bank.Approvals.GetAsync(pending.Id));
    }

    [Fact]
    public async Task ApprovalReadAndSavedWithoutItsMessagesBuilt_KeepsTheHistoryByteForByte()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", false)).Pending;
        string atHold = JsonDocument.Parse((await bank.Store.GetAsync(pending.Id))!.Data).RootElement.GetProperty("messages").GetRawText();

        // Decide reads the approval and saves it without ever building its messages.
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, "not today"));

        string decided = JsonDocument.Parse((await bank.Store.GetAsync(pending.Id))!.Data).RootElement.GetProperty("messages").GetRawText();
        Assert.Equal(atHold, decided);
    }
}
