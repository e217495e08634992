using HumanInLoop.Testing;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>
/// The retry-loop guard: a call a person rejected, proposed again in the same conversation, is answered with that rejection
/// instead of asking again; the N-th repeat stops the conversation with <see cref="RejectedCallRepeatedException"/>.
/// </summary>
public sealed class RetryGuardTests
{
    private const string Reason = "Bob's account is under review.";

    /// <summary>The script: "again A to X" proposes the transfer with its keys in the other order and the amount as written (150.0).</summary>
    private static ChatResponse Script(IReadOnlyList<ChatMessage> messages)
    {
        string text = messages[^1].Text;
        if (messages[^1].Role == ChatRole.User && text.StartsWith("again ", StringComparison.Ordinal))
        {
            string[] words = text.Split(' ');
            JsonElement amount = JsonElement.Parse(words[1]); // the number exactly as written: 150.0 stays 150.0
            return ScriptedChatClient.Calls(ScriptedChatClient.Call($"c-again-{messages.Count}", "transfer", new Dictionary<string, object?> { ["amount"] = amount, ["to"] = words[^1] }));
        }

        return TestBank.DefaultScript(messages);
    }

    private static TestBank Bank(Action<ApprovalOptions>? configure = null, IStateStore? store = null)
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        configure?.Invoke(options);
        TestBank bank = new(options, store);
        bank.Model.Respond = Script;
        return bank;
    }

    /// <summary>Holds "transfer 150 to bob" in conv-1, rejects it and resumes it; returns the rejected approval's id.</summary>
    private static async Task<string> RejectAsync(TestBank bank, bool streaming, bool askAgain = false)
    {
        PendingApproval held = (await bank.SendAsync("transfer 150 to bob", streaming)).Pending;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, Reason, askAgain));
        await bank.Approvals.ResumeAsync(held.Id, bank.Client, bank.ChatOptions());
        return held.Id;
    }

    private static async Task<List<RecordedCall>> CallRecordsAsync(TestBank bank)
    {
        await bank.Approvals.FlushCallRecordsAsync();
        return [.. (await bank.Approvals.History.ReadAsync().ToListAsync()).Where(c => c.ApprovalId is null)];
    }

    private static async Task<int> ApprovalCountAsync(TestBank bank) => (await bank.Approvals.ListAsync(new StateQuery())).Approvals.Count;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_ReorderedKeysAndDecimalForm_AnsweredWithRejection_NobodyAsked(bool streaming)
    {
        TestBank bank = Bank();
        string rejectedId = await RejectAsync(bank, streaming);

        Outcome repeat = await bank.SendAsync("again 150.0 to bob", streaming);

        Assert.Null(repeat.Error);
        Assert.Empty(bank.Transfers);
        Assert.Equal(1, await ApprovalCountAsync(bank));
        FunctionResultContent answer = Assert.Single(bank.Model.Requests[^1].SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Contains("already rejected this same call", answer.Result?.ToString(), StringComparison.Ordinal);
        Assert.Contains(Reason, answer.Result?.ToString(), StringComparison.Ordinal);
        Assert.Contains(Reason, repeat.Response!.Text, StringComparison.Ordinal);

        PendingToolCall rejected = (await bank.Approvals.GetAsync(rejectedId)).Calls[0];
        Assert.Equal(1, rejected.Repeats);
        ApprovalAuditEntry entry = (await bank.Approvals.GetAsync(rejectedId)).AuditTrail[^1];
        Assert.Equal((ApprovalAuditEvent.RepeatAnswered, "c-tr"), (entry.Event, entry.CallId));
        Assert.Contains("c-again-", entry.Reason, StringComparison.Ordinal);

        RecordedCall record = Assert.Single(await CallRecordsAsync(bank));
        Assert.Equal((CallOutcome.RejectedAsRepeat, $"{rejectedId}/c-tr", "alice", Reason), (record.Outcome, record.RepeatOf, record.DecidedBy, record.DecisionReason));
        Assert.Equal(PolicyVerdictKind.RequireApproval, record.Verdict.Kind);
        AutomationReport report = await bank.Approvals.History.ReportAsync();
        Assert.Equal((2, 1, 1), (report.Total.Seen, report.Total.Rejected, report.Total.RejectedAsRepeat));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_DifferentAmountOrPayee_IsPutToPerson(bool streaming)
    {
        TestBank bank = Bank();
        await RejectAsync(bank, streaming);

        Assert.IsType<PendingApprovalException>((await bank.SendAsync("again 151 to bob", streaming)).Error);
        Assert.IsType<PendingApprovalException>((await bank.SendAsync("again 150 to dave", streaming)).Error);
        Assert.Equal(3, await ApprovalCountAsync(bank));
        Assert.Empty(await CallRecordsAsync(bank));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_NthTime_StopsWithTypedOutcome_NothingHeldOrRun(bool streaming)
    {
        TestBank bank = Bank();
        string rejectedId = await RejectAsync(bank, streaming);

        Assert.Null((await bank.SendAsync("again 150 to bob", streaming)).Error);
        Assert.Null((await bank.SendAsync("again 150.00 to bob", streaming)).Error);
        Outcome third = await bank.SendAsync("again 150 to bob", streaming);

        RejectedCallRepeatedException stop = Assert.IsType<RejectedCallRepeatedException>(third.Error);
        Assert.Equal(("conv-1", "transfer", rejectedId, "c-tr", "alice", Reason, 3), (stop.ConversationId, stop.ToolName, stop.RejectedApprovalId, stop.RejectedCallId, stop.RejectedBy, stop.Reason, stop.Repeats));
        Assert.Empty(bank.Transfers);
        Assert.Empty(third.Updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal(1, await ApprovalCountAsync(bank));
        PendingApproval rejected = await bank.Approvals.GetAsync(rejectedId);
        Assert.Equal(3, rejected.Calls[0].Repeats);
        Assert.Equal(ApprovalAuditEvent.RepeatLimitReached, rejected.AuditTrail[^1].Event);
        Assert.Equal(
            [CallOutcome.RejectedAsRepeat, CallOutcome.RejectedAsRepeat, CallOutcome.RepeatLimitReached],
            (await CallRecordsAsync(bank)).Select(r => r.Outcome).Order());
        Assert.Equal(1, (await bank.Approvals.History.ReportAsync()).Total.RepeatLimitReached);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resume_ModelKeepsRetryingTheRejectedCall_StopsAtTheLimit_ApprovalCompleted(bool streaming)
    {
        TestBank bank = Bank();
        PendingApproval held = (await bank.SendAsync("transfer 150 to bob", streaming)).Pending;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, Reason));
        int retries = 0;
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Calls(TestBank.TransferCall($"c-retry-{++retries}", "bob", 150m)) // a model that will not take no
            : TestBank.DefaultScript(messages);

        Exception? error = await Record.ExceptionAsync(async () =>
        {
            if (streaming)
            {
                await foreach (ChatResponseUpdate _ in bank.Approvals.ResumeStreamingAsync(held.Id, bank.Client, bank.ChatOptions()))
                {
                }
            }
            else
            {
                await bank.Approvals.ResumeAsync(held.Id, bank.Client, bank.ChatOptions());
            }
        });

        RejectedCallRepeatedException stop = Assert.IsType<RejectedCallRepeatedException>(error);
        Assert.Equal((3, "c-retry-3"), (stop.Repeats, stop.CallId));
        Assert.Equal(3, retries);
        Assert.Empty(bank.Transfers);
        PendingApproval after = await bank.Approvals.GetAsync(held.Id);
        Assert.Equal((ApprovalStatus.Completed, 3), (after.Status, after.Calls[0].Repeats));
        Assert.Contains(after.AuditTrail, e => e.Event == ApprovalAuditEvent.Completed && e.Reason!.Contains("stopped", StringComparison.Ordinal));
        Assert.Equal(
            [ApprovalAuditEvent.RepeatAnswered, ApprovalAuditEvent.RepeatAnswered, ApprovalAuditEvent.RepeatLimitReached, ApprovalAuditEvent.Completed],
            after.AuditTrail.TakeLast(4).Select(e => e.Event));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reject_AskAgainIfRepeated_RepeatIsPutToPersonAgain_FlagRecorded(bool streaming)
    {
        TestBank bank = Bank();
        string rejectedId = await RejectAsync(bank, streaming, askAgain: true);

        PendingApproval rejected = await bank.Approvals.GetAsync(rejectedId);
        Assert.True(rejected.Calls[0].AskAgainIfRepeated);
        Assert.Contains(rejected.AuditTrail, e => e.Event == ApprovalAuditEvent.Rejected && e.Reason!.Contains("ask again", StringComparison.Ordinal));
        PendingApproval again = (await bank.SendAsync("again 150 to bob", streaming)).Pending;
        Assert.Equal(CallDecisionStatus.AwaitingApproval, Assert.Single(again.Calls).Decision);
        Assert.Equal(0, (await bank.Approvals.GetAsync(rejectedId)).Calls[0].Repeats);

        // Rejected again, this time without asking to be asked: the newest rejection holds.
        bank.Time.Advance(TimeSpan.FromMinutes(1));
        await bank.Approvals.DecideAsync(again.Id, again.Calls[0].CallId, ApprovalDecision.Reject(TestBank.Alice, "Still no."));
        Assert.Null((await bank.SendAsync("again 150 to bob", streaming)).Error);
        Assert.Equal(1, (await bank.Approvals.GetAsync(again.Id)).Calls[0].Repeats);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_InAnotherConversation_IsPutToPerson(bool streaming)
    {
        TestBank bank = Bank();
        string rejectedId = await RejectAsync(bank, streaming);

        Outcome other = await bank.SendAsync("again 150 to bob", streaming, bank.ChatOptions(conversationId: "conv-2"));

        Assert.Equal("conv-2", other.Pending.Context.ConversationId);
        Assert.Equal(0, (await bank.Approvals.GetAsync(rejectedId)).Calls[0].Repeats);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_AfterRestart_FoundInTheStore(bool streaming)
    {
        TestBank first = Bank();
        string rejectedId = await RejectAsync(first, streaming);

        TestBank restarted = Bank(store: first.Store); // a new service and pipeline over the same store, with no history of its own

        Assert.Null((await restarted.SendAsync("again 150 to bob", streaming)).Error);
        Assert.Empty(restarted.Transfers);
        Assert.Equal(1, (await restarted.Approvals.GetAsync(rejectedId)).Calls[0].Repeats);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Repeat_BesideACallThatNeedsAPerson_IsAnsweredInsideTheHeldApproval(bool streaming)
    {
        TestBank bank = Bank();
        string rejectedId = await RejectAsync(bank, streaming);
        bank.Model.Respond = messages => messages[^1].Role == ChatRole.User
            ? ScriptedChatClient.Calls(TestBank.TransferCall("c-bob", "bob", 150m), TestBank.TransferCall("c-dave", "dave", 500m))
            : TestBank.DefaultScript(messages);

        PendingApproval held = (await bank.SendAsync("both", streaming)).Pending;

        PendingToolCall repeat = held.FindCall("c-bob")!;
        Assert.Equal((CallDecisionStatus.Rejected, "alice", Reason, $"{rejectedId}/c-tr"), (repeat.Decision, repeat.DecidedBy, repeat.DecisionReason, repeat.RepeatOf));
        Assert.Equal(["c-dave"], held.AwaitingApproval.Select(c => c.CallId));
        Assert.Contains(held.AuditTrail, e => e.Event == ApprovalAuditEvent.RepeatAnswered && e.CallId == "c-bob");
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(held.Id, "c-bob", ApprovalDecision.Approve(TestBank.Alice)));

        await bank.Approvals.DecideAsync(held.Id, "c-dave", ApprovalDecision.Approve(TestBank.Alice));
        ResumeResult resumed = await bank.Approvals.ResumeAsync(held.Id, bank.Client, bank.ChatOptions());

        Assert.Equal([("dave", 500m)], bank.Transfers.Select(t => (t.To, t.Amount)));
        Assert.Contains("already rejected this same call", resumed.Response.Text, StringComparison.Ordinal);
        RecordedCall recorded = (await bank.Approvals.History.ReadAsync().ToListAsync()).Single(c => c.ApprovalId == held.Id && c.CallId == "c-bob");
        Assert.Equal((CallOutcome.RejectedAsRepeat, $"{rejectedId}/c-tr"), (recorded.Outcome, recorded.RepeatOf));
    }

    [Fact]
    public async Task Plan_RepeatOfRejectedAction_AnsweredAsRejected_NthStops()
    {
        TestBank bank = Bank();
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance);
        CallerContext context = new() { ConversationId = "conv-plan", UserId = "carol" };
        PlanResult first = await bank.Approvals.RunPlanAsync([PlannedAction.Create("transfer", new TransferArgs("bob", 150m))], tools, context);
        string rejectedId = first.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(rejectedId, "action-1", ApprovalDecision.Reject(TestBank.Alice, Reason));
        await bank.Approvals.ResumePlanAsync(rejectedId, tools);
        PlannedAction[] again = [PlannedAction.Create("transfer", new Dictionary<string, object?> { ["amount"] = 150.0m, ["to"] = "bob" }), PlannedAction.Create("check_balance", new { })];

        PlanResult repeat = await bank.Approvals.RunPlanAsync(again, tools, context);

        Assert.Null(repeat.PendingApproval);
        ActionOutcome answered = repeat.Actions[0];
        Assert.Equal((CallDecisionStatus.Rejected, CallExecutionStatus.NotRun, Reason), (answered.Decision, answered.Execution, answered.Reason));
        Assert.Contains("already rejected", answered.Result!.Value.GetString(), StringComparison.Ordinal);
        Assert.Equal(1, bank.BalanceChecks);
        Assert.Null((await bank.Approvals.RunPlanAsync(again, tools, context)).PendingApproval);
        RejectedCallRepeatedException stop = await Assert.ThrowsAsync<RejectedCallRepeatedException>(() => bank.Approvals.RunPlanAsync(again, tools, context));
        Assert.Equal(("conv-plan", rejectedId, 3), (stop.ConversationId, stop.RejectedApprovalId, stop.Repeats));
        Assert.Equal(2, bank.BalanceChecks); // the stopped plan ran nothing
        Assert.Empty(bank.Transfers);

        // Another conversation's plan is put to a person.
        Assert.NotNull((await bank.Approvals.RunPlanAsync(again, tools, context with { ConversationId = "conv-other" })).PendingApproval);
        Assert.Equal(
            [CallOutcome.RejectedAsRepeat, CallOutcome.RejectedAsRepeat, CallOutcome.RepeatLimitReached],
            (await CallRecordsAsync(bank)).Where(r => r.ToolName == "transfer").Select(r => r.Outcome).Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Guard_Off_RepeatIsPutToPerson(bool streaming)
    {
        TestBank bank = Bank(o => o.RejectedRepeatLimit = 0);
        await RejectAsync(bank, streaming);

        Assert.IsType<PendingApprovalException>((await bank.SendAsync("again 150 to bob", streaming)).Error);
    }

    [Fact]
    public async Task Repeat_WithoutConversationId_IsPutToPerson()
    {
        TestBank bank = Bank();
        ChatOptions anonymous = new ChatOptions { Tools = ApprovalService.ProtectTools(bank.Transfer) }.WithCallerContext(new CallerContext { UserId = "carol" });
        PendingApproval held = (await bank.SendAsync("transfer 150 to bob", false, anonymous)).Pending;
        await bank.Approvals.DecideAsync(held.Id, "c-tr", ApprovalDecision.Reject(TestBank.Alice, Reason));

        Assert.IsType<PendingApprovalException>((await bank.SendAsync("again 150 to bob", false, anonymous)).Error);
    }

    [Fact]
    public void BadInput_Refused()
    {
        Assert.Throws<ArgumentException>(() => ApprovalDecision.Approve(TestBank.Alice) with { AskAgainIfRepeated = true });
        ArgumentException limit = Assert.Throws<ArgumentException>(() => new ApprovalService(new InMemoryStateStore(), new ApprovalOptions { RejectedRepeatLimit = -1 }));
        Assert.Contains("RejectedRepeatLimit", limit.Message, StringComparison.Ordinal);
        Assert.True(ApprovalDecision.Reject(TestBank.Alice, Reason, askAgainIfRepeated: true).AskAgainIfRepeated);
        Assert.False(ApprovalDecision.Reject(TestBank.Alice, Reason).AskAgainIfRepeated);
    }
}
