using System.Text.Json;
using HumanInLoop.Interop.Tests.Wire;
using Microsoft.Extensions.AI;
using OllamaSharp;

namespace HumanInLoop.Interop.Tests.Providers;

/// <summary>The gate over OllamaSharp's <see cref="OllamaApiClient"/> as an <see cref="IChatClient"/>, against Ollama's <c>/api/chat</c> on loopback.</summary>
public sealed class OllamaChatClientTests : ProviderContractTests<FakeOllamaServer>
{
    // OllamaSharp makes up its own call ids (8 hex characters) and ignores the ids a newer Ollama sends.
    protected override bool KeepsServerCallIds => false;

    protected override IChatClient CreateModel(Uri address) => new OllamaApiClient(address, FakeOllamaServer.Model);

    /// <summary>OllamaSharp names the answered call only inside the tool message's content: <c>{"CallId":"…","Result":…}</c>.</summary>
    protected override string? AnsweredCallId(WireMessage toolMessage)
    {
        using JsonDocument content = JsonDocument.Parse(toolMessage.Content!);
        return content.RootElement.GetProperty("CallId").GetString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ContentShapes_CallIdsMadeUpByTheClient_ResultsPairedByOrderAndContent(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "balance and transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        await Bank.ApproveAllAsync(pending);
        await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        // The ids the gate binds decisions to are OllamaSharp's, not the server's; they are unique within the batch.
        Assert.DoesNotContain(pending.Calls, c => c.CallId is BankScript.BalanceId or BankScript.TransferId);
        Assert.Equal(2, pending.Calls.Select(c => c.CallId).Distinct().Count());

        // On the resumed wire: the calls go back without ids; tool messages carry neither tool_call_id nor tool_name.
        WireRequest resume = Server.Requests[^1];
        Assert.All(LastToolCalls(resume), c => Assert.Null(c.Id));
        WireMessage[] results = [.. resume.Messages.Where(m => m.Role == "tool")];
        Assert.All(results, m => Assert.Null(m.ToolCallId));
        Assert.All(results, m => Assert.Null(m.ToolName));
        Assert.Equal(pending.Calls.Select(c => c.CallId), results.Select(AnsweredCallId));
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OlderServerWithoutCallIds_PauseAndResumeWorkTheSame(bool streaming)
    {
        Server.EmitCallIds = false;

        PendingApproval pending = (await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        await Bank.ApproveAllAsync(pending);
        Turn resumed = await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Single(Bank.Transfers);
        AssertEveryCallAnsweredOnce(Server.Requests[^1], pending);
        Assert.Empty(Server.Violations);
    }

    [Fact]
    public async Task ArgumentsOnTheWire_AreAJsonObject_BothWays()
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming: false)).Pending;
        await Bank.ApproveAllAsync(pending);
        await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming: false);

        JsonElement sent = Server.Requests[^1].Body.GetProperty("messages")[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments");
        Assert.Equal(JsonValueKind.Object, sent.ValueKind);
        Assert.Equal(500, sent.GetProperty("amount").GetInt32());
        Assert.Equal("bob", sent.GetProperty("to").GetString());
    }
}
