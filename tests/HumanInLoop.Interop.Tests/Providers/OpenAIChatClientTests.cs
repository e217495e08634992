using System.ClientModel;
using HumanInLoop.Interop.Tests.Wire;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace HumanInLoop.Interop.Tests.Providers;

/// <summary>
/// The gate over the real OpenAI stack (the official <c>OpenAI</c> package's <see cref="ChatClient"/> through
/// <c>Microsoft.Extensions.AI.OpenAI</c>'s <c>AsIChatClient()</c>), against chat completions on loopback.
/// </summary>
public sealed class OpenAIChatClientTests : ProviderContractTests<FakeOpenAIServer>
{
    protected override bool KeepsServerCallIds => true;

    protected override IChatClient CreateModel(Uri address) =>
        new ChatClient("gpt-4o-mini", new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = new Uri(address, "/v1") }).AsIChatClient();

    protected override string? AnsweredCallId(WireMessage toolMessage) => toolMessage.ToolCallId;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallIds_AreTheModels_OnPauseAndOnTheResumedWire(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "balance and transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        await Bank.ApproveAllAsync(pending);
        await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Equal([BankScript.BalanceId, BankScript.TransferId], pending.Calls.Select(c => c.CallId));
        Assert.Equal([BankScript.BalanceId, BankScript.TransferId], LastToolCalls(Server.Requests[^1]).Select(c => c.Id));
        Assert.Equal([BankScript.BalanceId, BankScript.TransferId], Server.Requests[^1].Messages.Where(m => m.Role == "tool").Select(m => m.ToolCallId));
    }

    [Fact]
    public async Task Streaming_EveryArgumentCharacterInItsOwnDelta_TheGateDecidesOnTheWholeCall()
    {
        Server.ArgumentChunkLength = 1;

        Turn turn = await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming: true);

        Assert.Equal(new TransferArgs("bob", 500m), Assert.Single(turn.Pending.Calls).GetArguments<TransferArgs>());
        Assert.Empty(Bank.Transfers);
    }

    [Fact]
    public async Task Streaming_SmallTransfer_AllowedByPolicy_RunsOnceWithoutAPause()
    {
        Turn turn = await Turn.SendAsync(Client, "transfer 50 to bob", Bank.ChatOptions(), streaming: true);

        Assert.Null(turn.Error);
        Assert.Equal(("bob", 50m), Bank.Transfers.Select(t => (t.To, t.Amount)).Single());
        Assert.Contains("sent 50 to bob", turn.Response!.Text, StringComparison.Ordinal);
        Assert.Empty(Server.Violations);
    }

    [Fact]
    public async Task Streaming_HeldCall_ItsDeltasReachTheCallerOnlyAsEmptyUpdates()
    {
        // Microsoft.Extensions.AI.OpenAI accumulates tool-call deltas and surfaces the FunctionCallContent only when the
        // stream ends, so the delta chunks pass the gate as updates without contents: the caller sees no call.
        Turn turn = await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming: true);

        Assert.IsType<PendingApprovalException>(turn.Error);
        Assert.All(turn.Updates, u => Assert.DoesNotContain(u.Contents, c => c is FunctionCallContent));
        Assert.DoesNotContain("bob", string.Concat(turn.Updates.Select(u => u.Text)), StringComparison.Ordinal);
    }

    [Fact]
    // Was a core bug: with Microsoft.Extensions.AI.OpenAI the raw chunks (StreamingChatCompletionUpdate.ToolCallUpdates)
    // carried the held call's name and argument fragments through the gate before any decision.
    public async Task Streaming_HeldCall_RawRepresentationDoesNotLeakTheCallBeforeTheDecision()
    {
        Turn turn = await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming: true);

        Assert.IsType<PendingApprovalException>(turn.Error);
        string[] leaked = [.. turn.Updates
            .Select(u => u.RawRepresentation).OfType<StreamingChatCompletionUpdate>()
            .SelectMany(raw => raw.ToolCallUpdates)
            .Select(t => t.FunctionName ?? t.FunctionArgumentsUpdate?.ToString() ?? "")
            .Where(s => s.Length > 0)];
        Assert.Empty(leaked);
    }
}
