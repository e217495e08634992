using System.Text.Json;
using HumanInLoop.Interop.Tests.Wire;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Interop.Tests.Providers;

/// <summary>
/// What the gate must do over every real provider client, against that provider's wire format on loopback: pass
/// unrelated traffic through untouched, pause before a held call runs, and on resume run each approved call once and
/// send the provider a history in which every tool call is answered exactly once. Each provider's tests inherit this.
/// </summary>
/// <typeparam name="TServer">The fake endpoint speaking the provider's wire format.</typeparam>
public abstract class ProviderContractTests<TServer> : IAsyncLifetime
    where TServer : FakeModelServer, new()
{
    protected TServer Server { get; } = new();

    protected Bank Bank { get; } = new();

    /// <summary>Gets the pipeline users build: function invocation, the gate, the provider's client.</summary>
    protected IChatClient Client { get; private set; } = null!;

    /// <summary>Gets a value indicating whether the client keeps the call ids the server sent (or makes its own).</summary>
    protected abstract bool KeepsServerCallIds { get; }

    /// <summary>Creates the provider's own <see cref="IChatClient"/>, pointed at <paramref name="address"/>.</summary>
    protected abstract IChatClient CreateModel(Uri address);

    /// <summary>Reads which call a tool message on the wire answers.</summary>
    protected abstract string? AnsweredCallId(WireMessage toolMessage);

    public async Task InitializeAsync()
    {
        await Server.StartAsync();
        Client = Bank.Pipeline(CreateModel(Server.Address));
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoToolCall_PassesThroughUntouched(bool streaming)
    {
        Turn turn = await Turn.SendAsync(Client, "hello", Bank.ChatOptions(), streaming);

        Assert.Null(turn.Error);
        Assert.Equal("Hello, how can I help?", turn.Response!.Text);
        Assert.Single(Server.Requests);
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AllowedCall_RunsAtOnce_AndIsAnsweredOnTheWire(bool streaming)
    {
        Turn turn = await Turn.SendAsync(Client, "balance", Bank.ChatOptions(), streaming);

        Assert.Null(turn.Error);
        Assert.Equal(1, Bank.BalanceChecks);
        Assert.Contains("1000", turn.Response!.Text, StringComparison.Ordinal);
        Assert.Equal(2, Server.Requests.Count);
        WireToolCall call = Assert.Single(LastToolCalls(Server.Requests[1]));
        Assert.Equal("check_balance", call.Name);
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeniedCall_AnsweredWithTheDenial_TheAllowedOneRuns_EveryCallAnsweredOnTheWire(bool streaming)
    {
        Turn turn = await Turn.SendAsync(Client, "delete", Bank.ChatOptions(), streaming);

        Assert.Null(turn.Error);
        Assert.Equal(0, Bank.Deletes);
        Assert.Equal(1, Bank.BalanceChecks);
        Assert.Equal(2, Server.Requests.Count);
        WireRequest next = Server.Requests[1];
        Assert.Equal(["delete_account", "check_balance"], LastToolCalls(next).Select(c => c.Name));
        WireMessage[] results = [.. next.Messages.SkipWhile(m => m.ToolCalls.Count == 0).Skip(1)];
        Assert.Equal(2, results.Length);
        Assert.All(results, m => Assert.Equal("tool", m.Role));
        Assert.Single(results, m => m.Content!.Contains("denied by policy", StringComparison.Ordinal));
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HeldCall_PausesWithThePendingApproval_BeforeAnythingRuns(bool streaming)
    {
        Turn turn = await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming);

        PendingApproval pending = turn.Pending;
        PendingToolCall call = Assert.Single(pending.Calls);
        Assert.Equal("transfer", call.ToolName);
        Assert.Equal(new TransferArgs("bob", 500m), call.GetArguments<TransferArgs>());
        Assert.Equal(CallDecisionStatus.AwaitingApproval, call.Decision);
        Assert.Equal(Bank.Context, pending.Context);
        Assert.Equal(["user", "assistant"], pending.Messages.Select(m => m.Role.Value));
        Assert.Contains(pending.Messages[1].Contents, c => c is FunctionCallContent { Name: "transfer" });
        Assert.Empty(Bank.Transfers);
        Assert.Single(Server.Requests);
        if (streaming)
        {
            // The text before the call streamed through; nothing of the held call did.
            Assert.Equal("Sending it now.", string.Concat(turn.Updates.Select(u => u.Text)));
            Assert.DoesNotContain(turn.Updates.SelectMany(u => u.Contents), c => c is FunctionCallContent);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MixedBatch_Approved_ResumeRunsEachCallOnce_AndAnswersEveryCallOnTheWire(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "balance and transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        Assert.Equal(["check_balance", "transfer"], pending.Calls.Select(c => c.ToolName));
        Assert.Equal([CallDecisionStatus.AutoAllowed, CallDecisionStatus.AwaitingApproval], pending.Calls.Select(c => c.Decision));
        Assert.Equal(0, Bank.BalanceChecks);
        await Bank.ApproveAsync(pending, pending.Calls[1].CallId);

        // Resume as another process would: a new pipeline over a new provider client, the approval read from the store.
        IChatClient resumer = Bank.Pipeline(CreateModel(Server.Address));
        Turn resumed = await Turn.ResumeAsync(Bank.Approvals, pending.Id, resumer, Bank.ChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Equal(1, Bank.BalanceChecks);
        (string to, decimal amount, string? key) = Assert.Single(Bank.Transfers);
        Assert.Equal(("bob", 500m), (to, amount));
        Assert.Equal(pending.Calls[1].IdempotencyKey, key);
        Assert.StartsWith("Done.", resumed.Response!.Text, StringComparison.Ordinal);
        Assert.Contains("sent 500 to bob", resumed.Response.Text, StringComparison.Ordinal);

        Assert.Equal(2, Server.Requests.Count);
        WireRequest resume = Server.Requests[1];
        Assert.Equal(streaming, resume.Stream);
        Assert.Equal(["user", "assistant", "tool", "tool"], resume.Messages.Select(m => m.Role));
        AssertEveryCallAnsweredOnce(resume, pending);
        Assert.Contains("1000", resume.Messages[2].Content, StringComparison.Ordinal);
        Assert.Contains("sent 500 to bob", resume.Messages[3].Content, StringComparison.Ordinal);
        Assert.Empty(Server.Violations);
        Assert.Equal(ApprovalStatus.Completed, (await Bank.Approvals.GetAsync(pending.Id)).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SecondResume_Refused_NothingRunsOrIsSentAgain(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        await Bank.ApproveAllAsync(pending);
        Assert.Null((await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming)).Error);

        Turn again = await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Equal(ApprovalStatus.Completed, Assert.IsType<ApprovalConflictException>(again.Error).Status);
        Assert.Single(Bank.Transfers);
        Assert.Equal(2, Server.Requests.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoHeldCalls_BothApproved_EachRunsOnce_BothAnswered(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "transfer 500 to bob and 700 to carol", Bank.ChatOptions(), streaming)).Pending;
        Assert.Equal(2, pending.AwaitingApproval.Count());
        await Bank.ApproveAllAsync(pending);

        Turn resumed = await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Equal([("bob", 500m), ("carol", 700m)], Bank.Transfers.Select(t => (t.To, t.Amount)));
        AssertEveryCallAnsweredOnce(Server.Requests[^1], pending);
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResumeThatPausesAgain_SecondResume_SendsBothBatchesAnsweredOnTheWire(bool streaming)
    {
        PendingApproval first = (await Turn.SendAsync(Client, "transfer 500 to bob then 700 to carol", Bank.ChatOptions(), streaming)).Pending;
        await Bank.ApproveAllAsync(first);

        PendingApproval second = (await Turn.ResumeAsync(Bank.Approvals, first.Id, Client, Bank.ChatOptions(), streaming)).Pending;

        Assert.Equal(second.Id, (await Bank.Approvals.GetAsync(first.Id)).NextApprovalId);
        Assert.Equal(["user", "assistant", "tool", "assistant"], second.Messages.Select(m => m.Role.Value));
        Assert.Equal(new TransferArgs("carol", 700m), Assert.Single(second.Calls).GetArguments<TransferArgs>());
        await Bank.ApproveAllAsync(second);

        Turn done = await Turn.ResumeAsync(Bank.Approvals, second.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Null(done.Error);
        Assert.Equal([("bob", 500m), ("carol", 700m)], Bank.Transfers.Select(t => (t.To, t.Amount)));
        WireRequest last = Server.Requests[^1];
        Assert.Equal(["user", "assistant", "tool", "assistant", "tool"], last.Messages.Select(m => m.Role));
        Assert.Equal(first.Calls[0].CallId, AnsweredCallId(last.Messages[2]));
        Assert.Equal(second.Calls[0].CallId, AnsweredCallId(last.Messages[4]));
        Assert.Contains("sent 500 to bob", last.Messages[2].Content, StringComparison.Ordinal);
        Assert.Empty(Server.Violations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rejected_ResumeTellsTheModelWhy_TransferNeverRuns(bool streaming)
    {
        PendingApproval pending = (await Turn.SendAsync(Client, "transfer 500 to bob", Bank.ChatOptions(), streaming)).Pending;
        await Bank.Approvals.DecideAsync(pending.Id, pending.Calls[0].CallId, ApprovalDecision.Reject(Bank.Alice, "Bob is not a known payee"));

        Turn resumed = await Turn.ResumeAsync(Bank.Approvals, pending.Id, Client, Bank.ChatOptions(), streaming);

        Assert.Null(resumed.Error);
        Assert.Empty(Bank.Transfers);
        WireRequest resume = Server.Requests[^1];
        AssertEveryCallAnsweredOnce(resume, pending);
        Assert.Contains("rejected by the approver", resume.Messages[^1].Content, StringComparison.Ordinal);
        Assert.Contains("Bob is not a known payee", resume.Messages[^1].Content, StringComparison.Ordinal);
        Assert.Empty(Server.Violations);
    }

    [Fact]
    public async Task FakeServer_RefusesAHistoryWithAnUnansweredCall()
    {
        // The server's checks are live, so "no violations" above means something.
        IChatClient model = CreateModel(Server.Address);
        ChatMessage[] history =
        [
            new(ChatRole.User, "transfer 500 to bob"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_unanswered1", "transfer", new Dictionary<string, object?> { ["to"] = "bob", ["amount"] = 500 })]),
            new(ChatRole.User, "well?"),
        ];

        await Assert.ThrowsAnyAsync<Exception>(() => model.GetResponseAsync(history, new ChatOptions { Tools = Bank.Tools }));

        Assert.Single(Server.Violations);
    }

    /// <summary>The tool calls of the last assistant message that has any.</summary>
    protected static IReadOnlyList<WireToolCall> LastToolCalls(WireRequest request) =>
        request.Messages.Last(m => m.ToolCalls.Count > 0).ToolCalls;

    /// <summary>
    /// The last assistant message on the wire holds exactly the stored calls (names, arguments), and the tool messages that
    /// follow answer each of them once.
    /// </summary>
    protected void AssertEveryCallAnsweredOnce(WireRequest request, PendingApproval pending)
    {
        int index = request.Messages.ToList().FindLastIndex(m => m.ToolCalls.Count > 0);
        Assert.True(index >= 0, "The request has no assistant message with tool calls.");
        IReadOnlyList<WireToolCall> calls = request.Messages[index].ToolCalls;
        Assert.Equal(pending.Calls.Select(c => c.ToolName), calls.Select(c => c.Name));
        for (int i = 0; i < calls.Count; i++)
        {
            using JsonDocument sent = JsonDocument.Parse(calls[i].ArgumentsJson);
            Assert.True(JsonElement.DeepEquals(pending.Calls[i].Arguments, sent.RootElement), $"Arguments changed on the wire: {calls[i].ArgumentsJson}");
            if (KeepsServerCallIds)
            {
                Assert.Equal(pending.Calls[i].CallId, calls[i].Id);
            }
        }

        string?[] answered = [.. request.Messages.Skip(index + 1).TakeWhile(m => m.Role == "tool").Select(AnsweredCallId)];
        Assert.Equal(pending.Calls.Select(c => c.CallId).Order(StringComparer.Ordinal), answered.Order(StringComparer.Ordinal));
    }
}
