using System.Text.Json;
using HumanInLoop.Testing;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Tests;

/// <summary>A person answers a held call in place of the tool: the tool never runs, the model receives the answer, the record says who and when.</summary>
public sealed class RespondInsteadTests
{
    public static TheoryData<bool> Modes => new() { false, true };

    private const string Answer = "The account is frozen; tell the customer to call the branch.";

    private static async Task<(ChatResponse? Response, Exception? Error)> ResumeAsync(TestBank bank, string id, bool streaming)
    {
        try
        {
            if (!streaming)
            {
                return ((await bank.Approvals.ResumeAsync(id, bank.Client, bank.ChatOptions())).Response, null);
            }

            List<ChatResponseUpdate> updates = [];
            await foreach (ChatResponseUpdate update in bank.Approvals.ResumeStreamingAsync(id, bank.Client, bank.ChatOptions()))
            {
                updates.Add(update);
            }

            return (updates.ToChatResponse(), null);
        }
        catch (Exception exception)
        {
            return (null, exception);
        }
    }

    private static async Task<string> StoredAsync(TestBank bank, string id)
    {
        StateEntry entry = (await bank.Store.GetAsync(id))!;
        return $"{entry.Version}:{entry.Data}";
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task RespondInstead_ToolNeverRuns_ModelReceivesTheAnswer_RecordSaysWhoAndWhen(bool streaming)
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming)).Pending;
        bank.Time.Advance(TimeSpan.FromMinutes(7));

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Alice, Answer, "Frozen since Monday."));

        Assert.Equal(ApprovalStatus.Decided, decided.Status);
        PendingToolCall call = decided.FindCall("c-tr")!;
        Assert.Equal((CallDecisionStatus.Responded, CallExecutionStatus.NotRun), (call.Decision, call.Execution));
        Assert.Equal(("alice", TestBank.Start + TimeSpan.FromMinutes(7), "Frozen since Monday."), (call.DecidedBy, call.DecidedAt, call.DecisionReason));
        Assert.Equal(Answer, call.Result!.Value.GetString());
        Assert.Null(call.ApprovedFingerprint);
        ApprovalAuditEntry audit = decided.AuditTrail[^1];
        Assert.Equal((ApprovalAuditEvent.RespondedInstead, "alice", "c-tr", call.Fingerprint), (audit.Event, audit.Actor, audit.CallId, audit.Fingerprint));

        (ChatResponse? response, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(error);
        Assert.Empty(bank.Transfers);
        Assert.Equal(1000m, bank.Balance);
        FunctionResultContent result = Assert.Single(bank.Model.Requests[^1][^1].Contents.OfType<FunctionResultContent>());
        Assert.Equal("c-tr", result.CallId);
        Assert.Equal(Answer, Assert.IsType<string>(result.Result)); // as the tool's own text would reach it, not JSON-quoted
        Assert.Contains($"c-tr={Answer}", response!.Text, StringComparison.Ordinal);
        PendingApproval done = await bank.Approvals.GetAsync(pending.Id);
        Assert.Equal(ApprovalStatus.Completed, done.Status);
        Assert.Equal(CallExecutionStatus.NotRun, done.FindCall("c-tr")!.Execution);
        Assert.DoesNotContain(done.AuditTrail, e => e.Event is ApprovalAuditEvent.CallStarted or ApprovalAuditEvent.CallInDoubt);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task RespondInsteadWithJson_ModelReceivesTheJson_OtherCallsOfTheBatchStillRun(bool streaming)
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", streaming)).Pending;
        using JsonDocument json = JsonDocument.Parse("""{"status":"done by hand","reference":"BR-7"}""");

        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInsteadWithJson(TestBank.Alice, json.RootElement));
        (_, Exception? error) = await ResumeAsync(bank, pending.Id, streaming);

        Assert.Null(error);
        Assert.Empty(bank.Transfers);
        Assert.Equal(1, bank.BalanceChecks);
        FunctionResultContent[] results = [.. bank.Model.Requests[^1][^1].Contents.OfType<FunctionResultContent>()];
        Assert.Equal(["c-bal", "c-tr"], results.Select(r => r.CallId));
        JsonElement given = Assert.IsType<JsonElement>(results[1].Result);
        Assert.Equal("BR-7", given.GetProperty("reference").GetString());
    }

    [Fact]
    public async Task RespondInstead_AfterAFailedContinuation_TheSameAnswerIsSentAgain_NothingRuns()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Alice, Answer));
        bank.Model.Respond = _ => throw new HttpRequestException("model down");

        await Assert.ThrowsAsync<HttpRequestException>(() => bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions()));
        Assert.Equal(ApprovalStatus.Decided, (await bank.Approvals.GetAsync(pending.Id)).Status);
        bank.Model.Respond = TestBank.DefaultScript;
        ResumeResult resumed = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Contains($"c-tr={Answer}", resumed.Response.Text, StringComparison.Ordinal);
        Assert.Empty(bank.Transfers);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void RespondInstead_BlankText_ArgumentException(string result)
    {
        Assert.ThrowsAny<ArgumentException>(() => ApprovalDecision.RespondInstead(TestBank.Alice, result));
        Assert.ThrowsAny<ArgumentException>(() => ApprovalDecision.RespondInstead(TestBank.Alice, null!));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"  \"")]
    [InlineData("{}")]
    [InlineData("[]")]
    public void RespondInsteadWithJson_EmptyJson_ArgumentException(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.Throws<ArgumentException>(() => ApprovalDecision.RespondInsteadWithJson(TestBank.Alice, document.RootElement));
        Assert.Throws<ArgumentException>(() => ApprovalDecision.RespondInsteadWithJson(TestBank.Alice, default));
    }

    [Fact]
    public void RespondInsteadWithJson_NestedDeeperThan32_ArgumentException_32Accepted()
    {
        using JsonDocument deep = JsonDocument.Parse(new string('[', 33) + "1" + new string(']', 33));
        using JsonDocument limit = JsonDocument.Parse(new string('[', 32) + "1" + new string(']', 32));

        ArgumentException refused = Assert.Throws<ArgumentException>(() => ApprovalDecision.RespondInsteadWithJson(TestBank.Alice, deep.RootElement));
        Assert.Contains("nested deeper than 32", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(ApprovalDecision.RespondInsteadWithJson(TestBank.Alice, limit.RootElement));
    }

    [Fact]
    public void RespondInstead_CannotMakeAStandingGrant()
    {
        ApprovalDecision respond = ApprovalDecision.RespondInstead(TestBank.Alice, Answer);

        Assert.False(respond.Approved);
        Assert.Throws<ArgumentException>(() => respond with { Grant = new GrantTerms(GrantScope.Conversation, TimeSpan.FromHours(1)) });
    }

    [Fact]
    public async Task RespondInstead_ByAnApproverNotAllowed_OrTheRequester_ForbiddenAndNothingChanges()
    {
        ApprovalOptions options = new()
        {
            Policies = { ApprovalPolicy.RequireApproval("transfer", "Managers only.", approvers: ["manager"]) },
            PreventSelfApproval = true,
        };
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        string before = await StoredAsync(bank, pending.Id);

        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Alice, Answer)));
        await Assert.ThrowsAsync<ApprovalForbiddenException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(new Approver("carol", ["manager"]), Answer)));
        await Assert.ThrowsAsync<ApprovalIntegrityException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr",
            ApprovalDecision.RespondInstead(new Approver("mona", ["manager"]), Answer) with { ExpectedFingerprint = "not-the-call" }));

        Assert.Equal(before, await StoredAsync(bank, pending.Id));
        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(new Approver("mona", ["manager"]), Answer));
        Assert.Equal("mona", decided.FindCall("c-tr")!.DecidedBy);
    }

    [Fact]
    public async Task RespondInstead_IsOneDecision_ASecondOneConflicts()
    {
        TestBank bank = new();
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Alice, Answer));
        string before = await StoredAsync(bank, pending.Id);

        ApprovalConflictException approve = await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Bob)));
        Assert.Contains("answered in place of the tool by 'alice'", approve.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ApprovalConflictException>(() => bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Bob, "other")));
        Assert.Equal(before, await StoredAsync(bank, pending.Id));

        TestBank approved = new();
        PendingApproval other = (await approved.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        await approved.Approvals.DecideAsync(other.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        await Assert.ThrowsAsync<ApprovalConflictException>(() => approved.Approvals.DecideAsync(other.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Bob, Answer)));
    }

    [Fact]
    public async Task RespondInstead_OnACallNeedingTwoApprovals_OneAllowedPersonDecidesIt_SignOffsKept()
    {
        ApprovalOptions options = new() { Policies = { ApprovalPolicy.RequireApproval("transfer", "Two people.", requiredApprovals: 2) } };
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("transfer 500 to bob", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));

        PendingApproval decided = await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Bob, "Done by hand at the branch."));

        PendingToolCall call = decided.FindCall("c-tr")!;
        Assert.Equal((ApprovalStatus.Decided, CallDecisionStatus.Responded, "bob"), (decided.Status, call.Decision, call.DecidedBy));
        Assert.Equal(["alice"], call.SignOffs.Select(s => s.ApproverId));
        await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());
        Assert.Empty(bank.Transfers);
    }

    [Fact]
    public async Task RespondInstead_HeldPlanAction_NeverRuns_OutcomeShowsTheGivenResult()
    {
        TestBank bank = new();
        IList<AITool> tools = ApprovalService.ProtectTools(bank.Transfer, bank.CheckBalance);
        PlanResult first = await bank.Approvals.RunPlanAsync(
            [PlannedAction.Create("check_balance", new { }), PlannedAction.Create("transfer", new TransferArgs("dave", 5000m))], tools);
        string id = first.PendingApproval!.Id;
        await bank.Approvals.DecideAsync(id, "action-2", ApprovalDecision.RespondInstead(TestBank.Alice, "Dave was paid by cheque.", "Cheque 1042."));

        PlanResult resumed = await bank.Approvals.ResumePlanAsync(id, tools);

        ActionOutcome outcome = Assert.Single(resumed.Actions);
        Assert.Equal((CallDecisionStatus.Responded, CallExecutionStatus.NotRun, "Cheque 1042."), (outcome.Decision, outcome.Execution, outcome.Reason));
        Assert.Equal("Dave was paid by cheque.", outcome.Result!.Value.GetString());
        Assert.Empty(bank.Transfers);
        Assert.Equal(ApprovalStatus.Completed, (await bank.Approvals.GetAsync(id)).Status);
    }

    [Fact]
    public async Task RespondInstead_InABatchThatExpires_TheAnswerStands_NothingRuns()
    {
        ApprovalOptions options = TestBank.DefaultOptions();
        options.Policies.Add(ApprovalPolicy.RequireApproval("check_balance", "Balances too, today."));
        TestBank bank = new(options);
        PendingApproval pending = (await bank.SendAsync("balance and transfer 500 to bob", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(pending.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Alice, Answer));
        bank.Time.Advance(options.DefaultExpiration + TimeSpan.FromMinutes(1));

        Assert.Equal(1, await bank.Approvals.ExpireDueAsync());
        ResumeResult resumed = await bank.Approvals.ResumeAsync(pending.Id, bank.Client, bank.ChatOptions());

        Assert.Contains($"c-tr={Answer}", resumed.Response.Text, StringComparison.Ordinal);
        Assert.Equal((0, 0), (bank.Transfers.Count, bank.BalanceChecks));
        Assert.Equal(CallDecisionStatus.Responded, resumed.Approval.FindCall("c-tr")!.Decision);
    }

    [Fact]
    public async Task History_RespondedCall_CountedAsItsOwnOutcome_AndAFalseApprovalForACandidateThatAllowsIt()
    {
        TestBank bank = new();
        PendingApproval approved = (await bank.SendAsync("transfer 300 to ann", streaming: false)).Pending;
        await bank.Approvals.DecideAsync(approved.Id, "c-tr", ApprovalDecision.Approve(TestBank.Alice));
        PendingApproval responded = (await bank.SendAsync("transfer 400 to ben", streaming: false)).Pending;
        bank.Time.Advance(TimeSpan.FromMinutes(3));
        await bank.Approvals.DecideAsync(responded.Id, "c-tr", ApprovalDecision.RespondInstead(TestBank.Bob, Answer, "Frozen."));

        AutomationReport report = await bank.Approvals.History.ReportAsync();
        ReplayReport replay = await bank.Approvals.History.ReplayAsync([ApprovalPolicy.Allow("transfer")]);
        ReplayReport strict = await bank.Approvals.History.ReplayAsync([ApprovalPolicy.RequireApproval("transfer", "Always.")]);

        Assert.Equal((2L, 1L, 1L, 0L, 2L), (report.Total.Seen, report.Total.Approved, report.Total.Responded, report.Total.Rejected, report.Total.SentToPerson));
        Assert.Equal(1L, report.ByTool["transfer"].Responded);
        Assert.Equal(TimeSpan.FromMinutes(3), report.Total.P90TimeToDecision);
        ReplayFinding finding = Assert.Single(replay.FalseApprovals);
        Assert.Equal((CallOutcome.Responded, "bob", "Frozen."), (finding.Call.Outcome, finding.Call.DecidedBy, finding.Call.DecisionReason));
        Assert.Equal(Answer, finding.Call.Response!.Value.GetString());
        Assert.Equal(1, replay.FalseApprovalCount);
        Assert.Empty(strict.AlwaysApprovedTools); // a person who answered instead did not approve
        Assert.Equal(1, strict.NeedlessAskCount);
    }
}
